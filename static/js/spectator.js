// spectator.js: watch any tournament live. The bracket, standings and players follow the socket
// without reloading; the header shows the connection state.

import {h, $, param} from './dom.js';
import {renderTournament, sectionTitle} from './bracket.js';
import {liveTournament, renderHead} from './page.js';
import {seedOrder} from './state.js';

const tid = param('t');

if (!tid) {
  $('#no-tournament').hidden = false;
} else {
  $('#watch-view').hidden = false;
  liveTournament(tid, {
    connEl: $('#conn'),
    render(model) {
      document.title = `${model.name} - tourhub`;
      renderHead($('#head'), model);
      $('#bracket-title').textContent = sectionTitle(model.format);
      renderTournament($('#bracket'), model);
      $('#participants-empty').hidden = model.participants.length > 0;
      // In seed order, top seed first (before the start: as the organiser ordered them so far).
      $('#participants').replaceChildren(...seedOrder(model).map((p) => {
        const flags = [];
        if (p.seed) flags.push(`seed ${p.seed}`);
        if (p.disqualified) flags.push('disqualified');
        else if (p.withdrawn) flags.push('withdrawn');
        else if (p.eliminated) flags.push('eliminated');
        return h('li', {'data-testid': `participant-${p.id}`}, h('span', {}, p.name), h('span', {class: 'muted'}, flags.join(', ')));
      }));
      $('#version').textContent = String(model.version);
    },
  });
}

// createform.js: the "create a tournament" form, shared by the list page and the organiser page,
// and the organiser page's "import a tournament" form (an exported file becomes a new tournament).
// On success the organiser token is kept in localStorage and the browser goes to the organiser page.
// The form's bounds are the hub's own (GET /api/config), so it never sends what the hub refuses
// for being too long or too large.

import {h, flash, busy} from './dom.js';
import {api, explain, saveToken, newSubmissionID, retrying} from './client.js';
import {hubConfig} from './share.js';

function field(id, label, input, hint) {
  return h('div', {class: 'field'}, h('label', {for: id}, label), input, hint ? h('p', {class: 'hint', id: `${id}-hint`}, hint) : null);
}

function check(id, label, attrs = {}) {
  return h('div', {class: 'field', ...attrs}, h('label', {class: 'inline', for: id}, h('input', {type: 'checkbox', id, name: id}), label));
}

// chars counts text as the hub does: in code points (an emoji is one character).
const chars = (text) => [...text].length;

// invalid marks a field as refused, says why, and puts the focus on it; the mark goes when the
// field is edited.
function invalid(el, message) {
  el.setAttribute('aria-invalid', 'true');
  el.addEventListener('input', () => el.removeAttribute('aria-invalid'), {once: true});
  flash(message, 'error');
  el.focus();
}

// checkNumbers checks every filled number field that is shown against its bounds (the hub's
// limits, set from GET /api/config) and says which is out of them. An empty field is the default.
function checkNumbers(form) {
  for (const el of form.querySelectorAll('input[type=number]')) {
    if (el.closest('[hidden]') || el.value.trim() === '') continue;
    const v = Number(el.value);
    const min = el.min === '' ? -Infinity : Number(el.min);
    const max = el.max === '' ? Infinity : Number(el.max);
    if (!Number.isInteger(v) || v < min || v > max) {
      const label = form.querySelector(`label[for=${el.id}]`);
      const name = label ? label.textContent : el.id;
      invalid(el, `${name}: a whole number from ${min} to ${max}${Number.isInteger(v) ? `, not ${v}` : ''}.`);
      return false;
    }
  }
  return true;
}

function select(id, options, value) {
  return h('select', {id, name: id}, options.map(([v, t]) => h('option', {value: v, selected: v === value}, t)));
}

// mountCreateForm draws the form into container.
export function mountCreateForm(container) {
  const form = h('form', {id: 'create-form', 'data-testid': 'create-form', novalidate: true},
    h('div', {class: 'form-grid'},
      field('create-name', 'Tournament name', h('input', {type: 'text', id: 'create-name', required: true, autocomplete: 'off', placeholder: 'Friday Cup'})),
      field('create-format', 'Format', select('create-format', [
        ['single_elimination', 'Single elimination'],
        ['double_elimination', 'Double elimination'],
        ['round_robin', 'Round robin'],
        ['swiss', 'Swiss'],
      ], 'single_elimination')),
      field('create-best-of', 'Games per match (best of)', h('input', {type: 'number', id: 'create-best-of', min: 1, value: 1, inputmode: 'numeric'}),
        'Odd numbers (1, 3, 5) for eliminations; round robin and Swiss accept even numbers with draws.'),
      field('create-max-players', 'Maximum players', h('input', {type: 'number', id: 'create-max-players', min: 2, value: 16, inputmode: 'numeric'})),
      field('create-seeding', 'Seeding', select('create-seeding', [
        ['given', 'In order of joining'],
        ['random', 'Random'],
        ['rating', 'By rating'],
      ], 'given'))),
    field('create-description', 'Description (optional)', h('textarea', {id: 'create-description', rows: 3, 'aria-describedby': 'create-description-hint'}),
      'Shown to everyone under the name: when and where, the rules, the prizes.'),
    h('fieldset', {'data-format': 'single_elimination'}, h('legend', {}, 'Single elimination'),
      check('create-third-place', 'Play a third-place match')),
    h('fieldset', {'data-format': 'double_elimination', hidden: true}, h('legend', {}, 'Double elimination'),
      field('create-grand-final', 'Grand final', select('create-grand-final', [
        ['reset', 'With reset (the losers-bracket winner must win twice)'],
        ['single', 'One match'],
        ['none', 'None (winners-bracket champion wins)'],
      ], 'reset'))),
    h('fieldset', {'data-format': 'round_robin', hidden: true}, h('legend', {}, 'Round robin'),
      field('create-groups', 'Groups', h('input', {type: 'number', id: 'create-groups', min: 1, value: 1, inputmode: 'numeric',
        'aria-describedby': 'create-groups-hint'}), 'Players are split into groups by seed.'),
      check('create-double', 'Double round robin (every pair plays twice, sides swapped)')),
    h('fieldset', {'data-format': 'swiss', hidden: true}, h('legend', {}, 'Swiss'),
      field('create-rounds', 'Rounds', h('input', {type: 'number', id: 'create-rounds', min: 1, inputmode: 'numeric', placeholder: 'automatic'}),
        'Leave empty for the usual number (log2 of the players, rounded up).')),
    h('fieldset', {'data-format': 'round_robin swiss', hidden: true}, h('legend', {}, 'Scoring'),
      check('create-allow-draws', 'Allow drawn matches')),
    h('fieldset', {'data-format': 'round_robin swiss', 'data-testid': 'create-playoff-fieldset', hidden: true},
      h('legend', {}, 'Playoff after the group stage'),
      check('create-playoff', 'Play a playoff after the group stage (the best players go on to an elimination bracket)'),
      h('div', {class: 'form-grid', id: 'create-playoff-settings', hidden: true},
        field('create-playoff-format', 'Playoff format', select('create-playoff-format', [
          ['single_elimination', 'Single elimination'],
          ['double_elimination', 'Double elimination'],
        ], 'single_elimination')),
        field('create-playoff-advance', 'Players advancing from each group',
          h('input', {type: 'number', id: 'create-playoff-advance', min: 1, value: 2, inputmode: 'numeric', 'aria-describedby': 'create-playoff-advance-hint'}),
          'How many of each group go on to the playoff.'),
        field('create-playoff-best-of', 'Playoff games per match (best of)',
          h('input', {type: 'number', id: 'create-playoff-best-of', min: 1, step: 2, inputmode: 'numeric', placeholder: 'as the group stage', 'aria-describedby': 'create-playoff-best-of-hint'}),
          'An odd number (1, 3, 5). Empty: as the group stage when that is odd, else 1.'),
        check('create-playoff-third-place', 'Play a third-place match in the playoff',
          {id: 'create-playoff-third-place-field', 'data-testid': 'create-playoff-third-place-field'}),
        h('div', {id: 'create-playoff-grand-final-field', 'data-testid': 'create-playoff-grand-final-field'},
          field('create-playoff-grand-final', 'Playoff grand final', select('create-playoff-grand-final', [
            ['reset', 'With reset (the losers-bracket winner must win twice)'],
            ['single', 'One match'],
            ['none', 'None (winners-bracket champion wins)'],
          ], 'reset'))))),
    check('create-require-check-in', 'Players must check in before the start (others are dropped)'),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', id: 'create-submit'}, 'Create tournament')));

  const fmt = form.querySelector('#create-format');
  const showFormat = () => {
    for (const fs of form.querySelectorAll('fieldset[data-format]')) {
      fs.hidden = !fs.dataset.format.split(' ').includes(fmt.value);
    }
  };
  // The playoff's "advancing" counts per group after a round robin, in all after a Swiss; its
  // ending is a third-place match (single elimination) or a grand final (double elimination).
  const playoffOn = form.querySelector('#create-playoff');
  const playoffFmt = form.querySelector('#create-playoff-format');
  const showPlayoff = () => {
    form.querySelector('#create-playoff-settings').hidden = !playoffOn.checked;
    const swiss = fmt.value === 'swiss';
    form.querySelector('label[for=create-playoff-advance]').textContent = swiss ? 'Players advancing (in all)' : 'Players advancing from each group';
    form.querySelector('#create-playoff-advance-hint').textContent = swiss
      ? 'How many players of the Swiss standings go on to the playoff, at least 2.' : 'How many of each group go on to the playoff.';
    form.querySelector('#create-playoff-advance').min = swiss ? 2 : 1;
    form.querySelector('#create-playoff-third-place-field').hidden = playoffFmt.value !== 'single_elimination';
    form.querySelector('#create-playoff-grand-final-field').hidden = playoffFmt.value !== 'double_elimination';
  };
  playoffOn.addEventListener('change', showPlayoff);
  playoffFmt.addEventListener('change', showPlayoff);
  fmt.addEventListener('change', showFormat);
  fmt.addEventListener('change', showPlayoff);
  showFormat();
  showPlayoff();

  // The upper bounds come from the hub (GET /api/config, asked once per page): the fields take
  // them when it answers, and a submit waits for that answer.
  let limits = null;
  // Groups: at most half the players (two per group), and a group of at most group_size players
  // (half that in a double round robin), which the hub checks at the start.
  const showGroups = () => {
    const groups = form.querySelector('#create-groups');
    const players = Number(form.querySelector('#create-max-players').value) || 2;
    groups.max = Math.max(1, Math.floor(players / 2));
    if (!limits) return;
    const legs = form.querySelector('#create-double').checked ? 2 : 1;
    const size = Math.floor(limits.group_size / legs);
    const per = Math.ceil(players / Math.max(1, Number(groups.value) || 1));
    form.querySelector('#create-groups-hint').textContent = per > size
      ? `Up to ${per} players would share a group, but a group holds at most ${size}${legs === 2 ? ' in a double round robin' : ''}: the start is refused then. Use more groups.`
      : `Players are split into groups by seed; a group holds at most ${size} players${legs === 2 ? ' in a double round robin' : ''}.`;
  };
  for (const id of ['create-max-players', 'create-groups', 'create-double']) form.querySelector(`#${id}`).addEventListener('input', showGroups);
  form.querySelector('#create-double').addEventListener('change', showGroups);
  showGroups();
  const ready = hubConfig().then((c) => {
    limits = c.limits;
    const set = (id, attrs) => Object.assign(form.querySelector(`#${id}`), attrs);
    set('create-name', {maxLength: limits.name});
    set('create-description', {maxLength: limits.description});
    form.querySelector('#create-description-hint').append(` Up to ${limits.description} characters.`);
    set('create-best-of', {max: limits.best_of});
    set('create-playoff-best-of', {max: limits.best_of});
    set('create-max-players', {max: limits.players});
    set('create-playoff-advance', {max: limits.players});
    set('create-rounds', {max: limits.rounds});
    showGroups();
    return limits;
  });

  let attempt = {key: '', id: '', seed: 0}; // the create this form last sent
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (id) => form.querySelector(`#${id}`);
    await ready;
    const name = v('create-name').value.trim();
    if (!name) {
      invalid(v('create-name'), 'Give the tournament a name.');
      return;
    }
    if (chars(name) > limits.name) {
      invalid(v('create-name'), `The name has ${chars(name)} characters: at most ${limits.name} are allowed.`);
      return;
    }
    const description = v('create-description').value.trim();
    if (chars(description) > limits.description) {
      invalid(v('create-description'), `The description has ${chars(description)} characters: at most ${limits.description} are allowed.`);
      return;
    }
    if (!checkNumbers(form)) return;
    const num = (id) => {
      const s = v(id).value.trim();
      return s === '' ? undefined : Number(s);
    };
    const body = {
      name,
      description: description || undefined,
      format: fmt.value,
      best_of: num('create-best-of'),
      max_players: num('create-max-players'),
      seeding: v('create-seeding').value,
      require_check_in: v('create-require-check-in').checked,
    };
    switch (fmt.value) {
      case 'single_elimination':
        body.third_place = v('create-third-place').checked;
        break;
      case 'double_elimination':
        body.grand_final = v('create-grand-final').value;
        break;
      case 'round_robin':
        body.groups = num('create-groups');
        if (v('create-double').checked) body.legs = 2;
        body.allow_draws = v('create-allow-draws').checked;
        break;
      case 'swiss':
        if (num('create-rounds')) body.rounds = num('create-rounds');
        body.allow_draws = v('create-allow-draws').checked;
        break;
    }
    if ((fmt.value === 'round_robin' || fmt.value === 'swiss') && playoffOn.checked) {
      const advance = num('create-playoff-advance');
      const min = fmt.value === 'swiss' ? 2 : 1;
      if (!Number.isInteger(advance) || advance < min) {
        flash(fmt.value === 'swiss' ? 'Players advancing: a whole number, at least 2 (how many go on to the playoff in all).'
          : 'Players advancing: a whole number, at least 1 (how many of each group go on to the playoff).', 'error');
        v('create-playoff-advance').focus();
        return;
      }
      const bestOf = num('create-playoff-best-of');
      if (bestOf !== undefined && (!Number.isInteger(bestOf) || bestOf < 1 || bestOf % 2 === 0)) {
        flash('Playoff games per match: an odd number (1, 3, 5...), or empty.', 'error');
        v('create-playoff-best-of').focus();
        return;
      }
      body.playoff = {format: playoffFmt.value, advance};
      if (bestOf !== undefined) body.playoff.best_of = bestOf;
      if (playoffFmt.value === 'single_elimination') body.playoff.third_place = v('create-playoff-third-place').checked;
      else body.playoff.grand_final = v('create-playoff-grand-final').value;
    }
    // One submission id per form as filled in, kept across retries and resubmissions of the same
    // form: a create answered 503 (or lost on the way back) may have been made, and its repeat
    // then answers that tournament. A changed form is a new create.
    const key = JSON.stringify(body);
    if (attempt.key !== key) attempt = {key, id: newSubmissionID(), seed: Math.floor(Math.random() * 2 ** 31) + 1};
    body.submission_id = attempt.id;
    if (body.seeding === 'random') body.random_seed = attempt.seed;
    busy(form.querySelector('#create-submit'), async () => {
      try {
        const res = await retrying(() => api('POST', '/api/tournaments', body));
        const t = res.tournament;
        saveToken(t.id, 'organiser', res.organiser_token);
        location.assign(`organiser.html?t=${encodeURIComponent(t.id)}`);
      } catch (err) {
        flash(`Could not create the tournament: ${explain(err)}`, 'error');
      }
    });
  });
  container.replaceChildren(form);
  return form;
}

// The hub takes an import of up to 8 MiB.
const IMPORT_LIMIT = 8 << 20;

// mountImportForm draws the import form into container: the file saved with "Download results
// (JSON)" is sent as it is to POST /api/tournaments/import, which answers like a create.
export function mountImportForm(container) {
  const file = h('input', {type: 'file', id: 'import-file', name: 'import-file', accept: '.json,application/json',
    'data-testid': 'import-file', 'aria-describedby': 'import-file-hint'});
  const form = h('form', {id: 'import-form', 'data-testid': 'import-form', novalidate: true},
    field('import-file', 'Exported tournament (.json)', file, 'The file as it was downloaded: an edited file is refused.'),
    h('div', {class: 'actions'}, h('button', {type: 'submit', id: 'import-submit', 'data-testid': 'import-submit'}, 'Import tournament')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = file.files && file.files[0];
    if (!f) {
      flash('Choose the exported file (.json) to import.', 'error');
      file.focus();
      return;
    }
    if (f.size > IMPORT_LIMIT) {
      flash(`This file is ${(f.size / (1 << 20)).toFixed(1)} MiB: the hub imports files of up to 8 MiB.`, 'error');
      return;
    }
    busy(form.querySelector('#import-submit'), async () => {
      try {
        const text = await f.text();
        // Sent as it is (not decoded and encoded again): the hub checks the file it was given.
        const res = await api('POST', '/api/tournaments/import', text, undefined, 'application/json; charset=utf-8');
        const t = res.tournament;
        saveToken(t.id, 'organiser', res.organiser_token);
        location.assign(`organiser.html?t=${encodeURIComponent(t.id)}`);
      } catch (err) {
        flash(`Could not import the tournament: ${explain(err)}`, 'error');
      }
    });
  });
  container.replaceChildren(form);
  return form;
}

package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/clientip"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// manifests are the objects in deploy/k8s, by kind.
type manifests struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	pdbs        []*policyv1.PodDisruptionBudget
	ingresses   []*networkingv1.Ingress
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
}

// loadManifests decodes every YAML document under deploy/k8s into the Kubernetes API type its
// apiVersion and kind name, as strictly as the API server's strict field validation (kubectl
// apply --validate=strict): a field the type does not have, a field name in the wrong case and a
// key given twice are all refused. A kind the test does not know is refused too, so that nothing
// in the directory goes unchecked.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{configMaps: make(map[string]*corev1.ConfigMap), secrets: make(map[string]*corev1.Secret)}
	seen := make(map[string]string) // "kind/name" -> where
	var files int
	err := filepath.WalkDir("k8s", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			t.Errorf("%s: not YAML; kubectl apply -f deploy/k8s/ would apply a .json too, unchecked", path)
			return nil
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for i := 1; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			where := path + " document " + strconv.Itoa(i)
			kind, name := decodeManifest(t, &m, where, doc)
			if kind == "" {
				continue
			}
			if other, ok := seen[kind+"/"+name]; ok {
				t.Errorf("%s: %s %s again (first in %s)", where, kind, name, other)
			}
			seen[kind+"/"+name] = where
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read deploy/k8s: %v", err)
	}
	if files == 0 {
		t.Fatal("deploy/k8s holds no YAML")
	}
	return m
}

// decodeManifest decodes one document into m and returns its kind and name ("" for a document
// that holds only comments).
func decodeManifest(t *testing.T, m *manifests, where string, doc []byte) (kind, name string) {
	t.Helper()
	// The YAML itself, strictly: a key given twice is an error, and values keep their YAML type
	// (HUB_REDIS_CLUSTER: false unquoted is a boolean, which a ConfigMap refuses, as the API
	// server does).
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return "", ""
	}
	if s := string(bytes.TrimSpace(js)); s == "null" || s == "{}" {
		return "", ""
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		t.Errorf("%s: %v", where, err)
		return "", ""
	}
	var obj interface{ GetName() string }
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		d := new(appsv1.Deployment)
		m.deployments, obj = append(m.deployments, d), d
	case "v1 Service":
		s := new(corev1.Service)
		m.services, obj = append(m.services, s), s
	case "policy/v1 PodDisruptionBudget":
		p := new(policyv1.PodDisruptionBudget)
		m.pdbs, obj = append(m.pdbs, p), p
	case "networking.k8s.io/v1 Ingress":
		in := new(networkingv1.Ingress)
		m.ingresses, obj = append(m.ingresses, in), in
	case "v1 ConfigMap":
		obj = new(corev1.ConfigMap)
	case "v1 Secret":
		obj = new(corev1.Secret)
	default:
		t.Errorf("%s: apiVersion %q kind %q: not a kind this test knows; teach it (decodeManifest) to decode and check it", where, tm.APIVersion, tm.Kind)
		return "", ""
	}
	strictErrs, err := sigsjson.UnmarshalStrict(js, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		t.Errorf("%s: %s: %v", where, tm.Kind, err)
	}
	for _, e := range strictErrs {
		t.Errorf("%s: %s: %v", where, tm.Kind, e)
	}
	if obj.GetName() == "" {
		t.Errorf("%s: %s without metadata.name", where, tm.Kind)
	}
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		m.configMaps[o.Name] = o
	case *corev1.Secret:
		m.secrets[o.Name] = o
	}
	return tm.Kind, obj.GetName()
}

// one returns the only element of objs, failing the test when there is not exactly one.
func one[T any](t *testing.T, kind string, objs []*T) *T {
	t.Helper()
	if len(objs) != 1 {
		t.Fatalf("deploy/k8s has %d %ss; want 1", len(objs), kind)
	}
	return objs[0]
}

// envVar is one environment variable of the hub's container, and where it comes from.
type envVar struct {
	value      string
	literal    bool // the value is known: a literal or a ConfigMap key in deploy/k8s
	fromSecret bool
	from       string
}

// containerEnv resolves the container's environment as the kubelet does (envFrom first, then
// env, a later one winning), with the ConfigMaps and Secrets of deploy/k8s.
func containerEnv(t *testing.T, m manifests, c corev1.Container) map[string]envVar {
	t.Helper()
	vars := make(map[string]envVar)
	used := make(map[string]bool)
	for _, src := range c.EnvFrom {
		switch {
		case src.ConfigMapRef != nil:
			name := src.ConfigMapRef.Name
			cm, ok := m.configMaps[name]
			if !ok {
				t.Errorf("envFrom: ConfigMap %s is not in deploy/k8s", name)
				continue
			}
			used[name] = true
			for k, v := range cm.Data {
				vars[src.Prefix+k] = envVar{value: v, literal: true, from: "ConfigMap " + name}
			}
			for k := range cm.BinaryData {
				vars[src.Prefix+k] = envVar{from: "ConfigMap " + name}
			}
		case src.SecretRef != nil:
			name := src.SecretRef.Name
			s, ok := m.secrets[name]
			if !ok {
				t.Errorf("envFrom: Secret %s is not in deploy/k8s, so its keys cannot be checked; name them with env valueFrom secretKeyRef", name)
				continue
			}
			for k := range s.Data {
				vars[src.Prefix+k] = envVar{fromSecret: true, from: "Secret " + name}
			}
			for k := range s.StringData {
				vars[src.Prefix+k] = envVar{fromSecret: true, from: "Secret " + name}
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			vars[e.Name] = envVar{value: e.Value, literal: true, from: "env"}
		case e.ValueFrom.SecretKeyRef != nil:
			vars[e.Name] = envVar{fromSecret: true, from: "Secret " + e.ValueFrom.SecretKeyRef.Name}
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, ok := m.configMaps[ref.Name]
			if !ok {
				t.Errorf("env %s: ConfigMap %s is not in deploy/k8s", e.Name, ref.Name)
				continue
			}
			used[ref.Name] = true
			v, ok := cm.Data[ref.Key]
			if !ok {
				t.Errorf("env %s: ConfigMap %s has no key %s", e.Name, ref.Name, ref.Key)
			}
			vars[e.Name] = envVar{value: v, literal: ok, from: "ConfigMap " + ref.Name}
		default:
			vars[e.Name] = envVar{from: "env valueFrom"}
		}
	}
	for name := range m.configMaps {
		if !used[name] {
			t.Errorf("ConfigMap %s: the hub's container does not read it", name)
		}
	}
	return vars
}

// containerPort resolves a probe's or a Service's target port, by number or by name, to one of
// the container's ports (0 if none).
func containerPort(c corev1.Container, p intstr.IntOrString) int32 {
	for _, cp := range c.Ports {
		if (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) || (p.Type == intstr.String && p.StrVal != "" && cp.Name == p.StrVal) {
			return cp.ContainerPort
		}
	}
	return 0
}

// preStopSleep returns how long the preStop hook waits: a sleep action, or a command that
// sleeps (sleep 5, /bin/sleep 5, sh -c "sleep 5").
func preStopSleep(t *testing.T, c corev1.Container) time.Duration {
	t.Helper()
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		t.Errorf("container %s: no preStop hook; the ingress controller would still send new clients to a node that stopped taking them", c.Name)
		return 0
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		return time.Duration(h.Sleep.Seconds) * time.Second
	case h.Exec != nil:
		m := regexp.MustCompile(`(?:^|[\s/])sleep\s+(\d+)\s*$`).FindStringSubmatch(strings.Join(h.Exec.Command, " "))
		if m == nil {
			t.Errorf("container %s: preStop exec %q is not a sleep", c.Name, h.Exec.Command)
			return 0
		}
		n, _ := strconv.Atoi(m[1])
		return time.Duration(n) * time.Second
	}
	t.Errorf("container %s: preStop %+v; want a sleep", c.Name, h)
	return 0
}

// TestK8s checks that the manifests in deploy/k8s are valid Kubernetes objects and fit together
// and with the hub: settings it knows, its port, its probes, a grace period its drain fits in,
// and selectors and backends that name the hub's pods and Service.
func TestK8s(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	settings := hubSettings(t)

	d := one(t, "Deployment", m.deployments)
	replicas := int32(1) // the API's default
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	if replicas < 2 {
		t.Errorf("Deployment %s: %d replicas; want at least 2 (one node is no failover, and the budget would block every drain)", d.Name, replicas)
	}
	podLabels := labels.Set(d.Spec.Template.Labels)
	checkSelector(t, "Deployment "+d.Name, d.Spec.Selector, podLabels)

	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("Deployment %s: %d containers; want the hub alone", d.Name, len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image == "" {
		t.Errorf("container %s: no image", c.Name)
	}

	vars := containerEnv(t, m, c)
	checkSettings(t, settings, "Deployment "+d.Name, slices.Sorted(maps.Keys(vars)))
	for _, name := range []string{"HUB_SECRET", "REDIS_URL"} {
		if v, ok := vars[name]; !ok || !v.fromSecret {
			t.Errorf("%s from %q; want it from a Secret (the token secret, and the Redis password in the URL)", name, v.from)
		}
	}
	if v := vars["HUB_TRUSTED_PROXIES"]; !v.literal || v.value == "" {
		t.Errorf("HUB_TRUSTED_PROXIES %q from %q; want the ingress controller's addresses, else every client shares one rate limit", v.value, v.from)
	} else if _, err := clientip.Parse(v.value); err != nil {
		t.Errorf("HUB_TRUSTED_PROXIES %q: %v", v.value, err)
	}
	if v, ok := vars["HUB_REDIS_CLUSTER"]; ok && v.literal {
		if _, err := strconv.ParseBool(v.value); err != nil {
			t.Errorf("HUB_REDIS_CLUSTER %q: want true or false", v.value)
		}
	}

	// The port: HUB_ADDR's, or the hub's (and the Dockerfile's) :8080.
	addr := ":8080"
	if v, ok := vars["HUB_ADDR"]; ok {
		if !v.literal {
			t.Fatalf("HUB_ADDR from %s; want a value the test can read", v.from)
		}
		addr = v.value
	}
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("HUB_ADDR %q: %v", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		t.Fatalf("HUB_ADDR %q: port: %v", addr, err)
	}
	if port != 8080 {
		t.Errorf("the hub listens on %d; want 8080, the port of the Dockerfile and of docs/deploy.md", port)
	}
	if containerPort(c, intstr.FromInt32(int32(port))) == 0 {
		t.Errorf("container %s ports %+v; want %d, where HUB_ADDR %q listens", c.Name, c.Ports, port, addr)
	}

	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		// Unready while Redis is unreachable or the node drains: the ingress sends it no one.
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
		// Alive as long as it answers: a Redis outage must not restart every node.
		{"livenessProbe", c.LivenessProbe, "/healthz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("container %s: %s %+v; want GET %s", c.Name, p.name, p.probe, p.path)
			continue
		}
		g := p.probe.HTTPGet
		if g.Path != p.path {
			t.Errorf("container %s: %s path %q; want %s", c.Name, p.name, g.Path, p.path)
		}
		if got := containerPort(c, g.Port); got != int32(port) {
			t.Errorf("container %s: %s port %s is container port %d; want %d, the hub's", c.Name, p.name, g.Port.String(), got, port)
		}
		if g.Scheme != "" && g.Scheme != corev1.URISchemeHTTP {
			t.Errorf("container %s: %s scheme %s; the hub serves HTTP", c.Name, p.name, g.Scheme)
		}
	}

	// Shutdown: the preStop sleep and then the hub's drain both run within the grace period.
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if pod.TerminationGracePeriodSeconds != nil {
		grace = *pod.TerminationGracePeriodSeconds
	}
	sleep := preStopSleep(t, c)
	v, ok := vars["HUB_DRAIN_TIMEOUT"]
	if !ok || !v.literal {
		t.Errorf("HUB_DRAIN_TIMEOUT not set in the manifests; set it (the ConfigMap) so that the grace period can be checked against it")
	} else if drain, err := time.ParseDuration(v.value); err != nil || drain <= 0 {
		t.Errorf("HUB_DRAIN_TIMEOUT %q: want a positive duration", v.value)
	} else if time.Duration(grace)*time.Second <= sleep+drain {
		t.Errorf("terminationGracePeriodSeconds %d; want more than preStop %s + HUB_DRAIN_TIMEOUT %s, else the kubelet kills the node mid-drain",
			grace, sleep, drain)
	}

	checkPodSecurity(t, pod, c)
	for _, r := range []struct {
		what string
		list corev1.ResourceList
		name corev1.ResourceName
	}{
		{"requests", c.Resources.Requests, corev1.ResourceCPU},
		{"requests", c.Resources.Requests, corev1.ResourceMemory},
		{"limits", c.Resources.Limits, corev1.ResourceMemory},
	} {
		if q, ok := r.list[r.name]; !ok || q.Sign() <= 0 {
			t.Errorf("container %s: no resources.%s.%s", c.Name, r.what, r.name)
		}
	}

	pdb := one(t, "PodDisruptionBudget", m.pdbs)
	checkSelector(t, "PodDisruptionBudget "+pdb.Name, pdb.Spec.Selector, podLabels)
	switch {
	case (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil):
		t.Errorf("PodDisruptionBudget %s: want one of minAvailable and maxUnavailable", pdb.Name)
	case pdb.Spec.MaxUnavailable != nil:
		if n, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(replicas), true); err != nil || n < 1 {
			t.Errorf("PodDisruptionBudget %s: maxUnavailable %s of %d replicas; want at least 1, else no node can ever be drained (%v)", pdb.Name, pdb.Spec.MaxUnavailable, replicas, err)
		}
	default:
		if n, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(replicas), true); err != nil || n >= int(replicas) || n < 1 {
			t.Errorf("PodDisruptionBudget %s: minAvailable %s of %d replicas; want from 1 to replicas-1 (%v)", pdb.Name, pdb.Spec.MinAvailable, replicas, err)
		}
	}

	svc := one(t, "Service", m.services)
	if len(svc.Spec.Selector) == 0 {
		t.Errorf("Service %s: no selector", svc.Name)
	} else if sel := labels.SelectorFromSet(svc.Spec.Selector); !sel.Matches(podLabels) {
		t.Errorf("Service %s: selector %s does not match the pods' labels %s", svc.Name, sel, podLabels)
	}
	has80 := false
	for _, p := range svc.Spec.Ports {
		target := p.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(p.Port) // the API's default
		}
		if got := containerPort(c, target); got != int32(port) {
			t.Errorf("Service %s: port %d targets %s, container port %d; want %d, the hub's", svc.Name, p.Port, target.String(), got, port)
		}
		has80 = has80 || p.Port == 80
	}
	if !has80 {
		t.Errorf("Service %s ports %+v; want 80", svc.Name, svc.Spec.Ports)
	}

	checkIngress(t, one(t, "Ingress", m.ingresses), svc)
}

// checkSelector checks that a label selector is not empty (which would select every pod of the
// namespace, or none) and selects the hub's pods.
func checkSelector(t *testing.T, what string, ls *metav1.LabelSelector, pod labels.Set) {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Errorf("%s: selector: %v", what, err)
		return
	}
	if sel.Empty() {
		t.Errorf("%s: empty selector; want the hub's pod labels", what)
	} else if !sel.Matches(pod) {
		t.Errorf("%s: selector %s does not match the pods' labels %s", what, sel, pod)
	}
}

// checkPodSecurity checks that the hub runs as a user other than root, on a read-only root
// filesystem, without a way to gain privileges.
func checkPodSecurity(t *testing.T, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	nonRoot, uid := false, int64(-1)
	if sc := pod.SecurityContext; sc != nil {
		nonRoot = sc.RunAsNonRoot != nil && *sc.RunAsNonRoot
		if sc.RunAsUser != nil {
			uid = *sc.RunAsUser
		}
	}
	sc := c.SecurityContext
	if sc == nil {
		sc = new(corev1.SecurityContext)
	}
	if sc.RunAsNonRoot != nil {
		nonRoot = *sc.RunAsNonRoot
	}
	if sc.RunAsUser != nil {
		uid = *sc.RunAsUser
	}
	if !nonRoot || uid == 0 {
		t.Errorf("container %s: runAsNonRoot %v, runAsUser %d; want a user other than root", c.Name, nonRoot, uid)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("container %s: root filesystem writable; want readOnlyRootFilesystem (the hub writes no file)", c.Name)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container %s: allowPrivilegeEscalation not false", c.Name)
	}
}

// checkIngress checks that the Ingress is for an NGINX ingress controller (ingress-nginx or F5's
// NGINX Ingress Controller, the annotations of both), keeps WebSockets open for an hour, and
// routes to the hub's Service on one of its ports.
func checkIngress(t *testing.T, in *networkingv1.Ingress, svc *corev1.Service) {
	t.Helper()
	class := in.Annotations["kubernetes.io/ingress.class"]
	if in.Spec.IngressClassName != nil {
		class = *in.Spec.IngressClassName
	}
	if class != "nginx" {
		t.Errorf("Ingress %s: class %q; want nginx (the annotations are NGINX controllers')", in.Name, class)
	}
	for _, a := range []string{"proxy-read-timeout", "proxy-send-timeout"} {
		// ingress-nginx: seconds.
		raw := in.Annotations["nginx.ingress.kubernetes.io/"+a]
		if n, err := strconv.Atoi(raw); err != nil || n < 3600 {
			t.Errorf("Ingress %s: nginx.ingress.kubernetes.io/%s %q; want at least 3600 (s), or the controller closes quiet WebSockets", in.Name, a, raw)
		}
		// F5's: an nginx time, such as 3600s or 1h.
		raw = in.Annotations["nginx.org/"+a]
		if d, err := time.ParseDuration(raw); err != nil || d < time.Hour {
			t.Errorf("Ingress %s: nginx.org/%s %q; want at least 3600s, or the controller closes quiet WebSockets", in.Name, a, raw)
		}
	}
	ws := in.Annotations["nginx.org/websocket-services"]
	if !slices.ContainsFunc(strings.Split(ws, ","), func(s string) bool { return strings.TrimSpace(s) == svc.Name }) {
		t.Errorf("Ingress %s: nginx.org/websocket-services %q; want it to name the Service %s (F5's controller proxies WebSockets only for those)", in.Name, ws, svc.Name)
	}
	var backends []*networkingv1.IngressBackend
	if in.Spec.DefaultBackend != nil {
		backends = append(backends, in.Spec.DefaultBackend)
	}
	for _, r := range in.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for i := range r.HTTP.Paths {
			backends = append(backends, &r.HTTP.Paths[i].Backend)
		}
	}
	if len(backends) == 0 {
		t.Errorf("Ingress %s routes nothing", in.Name)
	}
	for _, b := range backends {
		if b.Service == nil || b.Service.Name != svc.Name {
			t.Errorf("Ingress %s: backend %+v; want the Service %s", in.Name, b, svc.Name)
			continue
		}
		p := b.Service.Port
		if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
			return (p.Number != 0 && sp.Port == p.Number) || (p.Name != "" && sp.Name == p.Name)
		}) {
			t.Errorf("Ingress %s: backend port %+v is not a port of the Service %s", in.Name, p, svc.Name)
		}
	}
}

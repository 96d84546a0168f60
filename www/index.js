// The app page: one full <camformer-predictor>, configured from the URL before it starts
// (?backend=auto|webgpu|cpu, ?model=manifest URL, ?panels=..., ?workers=N, ?auto-probe=always,
// ?simd=auto|simd128|relaxed).

const element = document.querySelector('camformer-predictor');
const params = new URLSearchParams(location.search);
for (const name of ['backend', 'model', 'panels', 'workers', 'auto-probe', 'simd']) {
  if (params.has(name)) element.setAttribute(name, params.get(name));
}
// Imported after the attributes are set, so the element starts with them.
await import('./app/camformer-predictor.js');

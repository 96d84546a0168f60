// Loads the element from the "file store" named by ?store=ORIGIN, as a wiki page whose uploaded
// files live on another host does with <script type="module" src="https://files.example/...">.
const store = new URLSearchParams(location.search).get('store');
const script = document.createElement('script');
script.type = 'module';
script.src = `${store}/pkg/camformer-predictor.js`;
document.body.append(script);

// Loads the password-strength checker (a wasm module of its own, with zxcvbn's dictionaries) the first
// time the pane needs it, so the pane itself stays small.

let loading = null;

function load() {
  if (!loading) {
    const url = new URL("pkg/zegel-strength.js", document.baseURI).href;
    loading = import(url).then(async (module) => {
      await module.default();
      return module;
    });
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/** Judges `password`; resolves with the verdict as JSON text. */
export async function checkStrength(password, inputs, minScore) {
  const module = await load();
  return module.check(password, inputs, minScore);
}

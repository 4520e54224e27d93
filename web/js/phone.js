// Loads the mobile-number check (a wasm module of its own, with libphonenumber's metadata) the first
// time the pane needs it, so the pane itself stays small.

let loading = null;

function load() {
  if (!loading) {
    const url = new URL("pkg/zegel-phone.js", document.baseURI).href;
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

/** Judges `input` (national numbers in `country`); resolves with the verdict as JSON text. */
export async function checkPhone(input, country) {
  const module = await load();
  return module.check(input, country);
}

// The strength of a password the sender chooses on /send, judged in the browser by the pane's own
// checker (zxcvbn, the `zegel-strength` wasm module) against the tenant's least score; the server judges
// it again. Without this script the field works the same, without the meter.
import init, { check } from "/addin/pkg/zegel-strength.js";

const field = document.getElementById("password");
const meter = document.getElementById("strength");

if (field && meter) {
  init()
    .then(() => {
      const min = Number(meter.dataset.min);
      const update = () => {
        if (field.value === "") {
          meter.hidden = true;
          return;
        }
        const verdict = JSON.parse(check(field.value, [], min));
        meter.hidden = false;
        meter.dataset.strength = verdict.strong_enough ? "green" : verdict.score >= 2 ? "orange" : "red";
        meter.textContent = verdict.strong_enough
          ? `\u{1F60E} ${meter.dataset.ok}`
          : `\u{1F641} ${meter.dataset.weak}`;
      };
      field.addEventListener("input", update);
      update();
    })
    .catch(() => {});
}

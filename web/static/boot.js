// Starts the pane, or explains that this Outlook is too old when its web view has no WebAssembly.
function showNeedsNewer() {
  const box = document.getElementById("needs-newer");
  const language = (navigator.language || "en").slice(0, 2).toLowerCase();
  const wanted = ["nl", "en", "sv"].indexOf(language) >= 0 ? language : "en";
  for (const paragraph of box.querySelectorAll("p")) {
    paragraph.hidden = paragraph.lang !== wanted;
  }
  box.hidden = false;
}

if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
  showNeedsNewer();
} else {
  import("./pkg/zegel_web.js").then((pane) => pane.default()).catch((error) => {
    console.error("Zegel could not start", error);
  });
}

// Runs only in browsers without ES modules (Internet Explorer, the web view of old Outlook): the pane
// cannot run there, so say so plainly. ES3 on purpose.
(function () {
  var box = document.getElementById("needs-newer");
  var language = String(navigator.language || navigator.userLanguage || "en").slice(0, 2).toLowerCase();
  if (language !== "nl" && language !== "sv") {
    language = "en";
  }
  var paragraphs = box.getElementsByTagName("p");
  for (var i = 0; i < paragraphs.length; i++) {
    if (paragraphs[i].getAttribute("lang") !== language) {
      paragraphs[i].style.display = "none";
    }
  }
  box.removeAttribute("hidden");
})();

// Preselect the browser's time zone in a menu marked data-browser-time-zone (the id of a
// JSON map of old zone names to listed ones: Chromium reports Asia/Calcutta, the menu lists
// Asia/Kolkata). A choice already made (a form shown again with errors) is left alone.
(function () {
  "use strict";
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) return;
  document.querySelectorAll("select[data-browser-time-zone]").forEach(function (select) {
    if (select.value) return;
    const listed = new Set(Array.from(select.options, function (option) { return option.value; }));
    let name = zone;
    if (!listed.has(name)) {
      const source = document.getElementById(select.dataset.browserTimeZone);
      const aliases = source ? JSON.parse(source.textContent) : {};
      name = aliases[zone];
    }
    if (name && listed.has(name)) select.value = name;
  });
})();

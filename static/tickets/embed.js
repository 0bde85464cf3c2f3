/* Humanline chat for any website, with one tag:
 *
 *   <script src="https://humanline.example/static/tickets/embed.js" defer></script>
 *
 * Adds a "Chat with us" button in the bottom-right corner that opens Humanline's /chat/
 * page in a frame. Everything lives in a shadow root, so the host page's CSS cannot bend
 * the widget and the widget's cannot leak out. The chat keeps its own conversation in the
 * frame's storage; nothing is shared with the host page.
 *
 * Language (docs/i18n.md): the tag's data-lang="sv", else the host page's <html lang>, picks
 * the chat's language (passed as ?lang=) and the words of the button and the frame. Those
 * few words live here, not in /jsi18n/: the snippet runs on another site, where loading
 * Django's catalog would define globals on someone else's page.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__humanlineChat) return;
  window.__humanlineChat = true;

  var origin = new URL(script.src, window.location.href).origin;

  // One entry for each of settings.LANGUAGES but English (tests/tickets/test_i18n.py checks).
  var PHRASES = {
    es: {
      "Chat with us": "Chatea con nosotros",
      "Close chat": "Cerrar el chat",
      "Customer support": "Atención al cliente",
      "Customer support chat": "Chat de atención al cliente",
      "Close the chat": "Cerrar el chat",
    },
    de: {
      "Chat with us": "Chatte mit uns",
      "Close chat": "Chat schließen",
      "Customer support": "Kundenservice",
      "Customer support chat": "Kundenservice-Chat",
      "Close the chat": "Den Chat schließen",
    },
    sv: {
      "Chat with us": "Chatta med oss",
      "Close chat": "Stäng chatten",
      "Customer support": "Kundtjänst",
      "Customer support chat": "Kundtjänstchatt",
      "Close the chat": "Stäng chatten",
    },
  };
  var asked = (script.dataset.lang || document.documentElement.lang || "").toLowerCase();
  var language = asked.split("-")[0];
  var phrases = PHRASES[language] || {};
  function t(text) {
    return phrases[text] || text;
  }
  var chatUrl = origin + "/chat/?embed=1" + (language ? "&lang=" + encodeURIComponent(language) : "");

  var STYLE = [
    ":host { all: initial; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483646;",
    "  font: 600 16px/1 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;",
    "  background: #2457d6; color: #fff; border: 0; border-radius: 999px; padding: 14px 20px;",
    "  box-shadow: 0 6px 20px rgba(20, 30, 60, .25); cursor: pointer; }",
    ".launcher:focus-visible, .close:focus-visible { outline: 3px solid #8fb0ff; outline-offset: 2px; }",
    ".panel { position: fixed; right: 20px; bottom: 84px; z-index: 2147483647;",
    "  width: 380px; height: min(620px, calc(100vh - 110px)); display: flex; flex-direction: column;",
    "  background: #fff; border-radius: 14px; overflow: hidden;",
    "  box-shadow: 0 12px 40px rgba(20, 30, 60, .3); }",
    ".panel[hidden] { display: none; }",
    ".bar { display: flex; justify-content: space-between; align-items: center;",
    "  padding: 8px 12px; background: #2457d6; color: #fff;",
    "  font: 600 15px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }",
    ".close { background: none; border: 0; color: #fff; font: inherit; font-size: 22px;",
    "  line-height: 1; padding: 4px 8px; cursor: pointer; }",
    "iframe { flex: 1; width: 100%; border: 0; }",
    "@media (max-width: 480px) {",
    "  .panel { inset: 0; width: auto; height: auto; border-radius: 0; }",
    "}",
  ].join("\n");

  var host = document.createElement("div");
  host.id = "humanline-chat";
  var shadow = host.attachShadow({ mode: "open" });

  // A constructed stylesheet is not inline style to a host page's Content-Security-Policy;
  // a <style> element is the fallback for browsers without one.
  var style = null;
  if (typeof CSSStyleSheet === "function" && "adoptedStyleSheets" in shadow) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    style = document.createElement("style");
    style.textContent = STYLE;
  }

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.textContent = t("Chat with us");
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "humanline-chat-panel");

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "humanline-chat-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", t("Customer support chat"));
  panel.hidden = true;

  var bar = document.createElement("div");
  bar.className = "bar";
  var title = document.createElement("span");
  title.textContent = t("Customer support");
  var close = document.createElement("button");
  close.type = "button";
  close.className = "close";
  close.setAttribute("aria-label", t("Close the chat"));
  close.textContent = "×";
  bar.appendChild(title);
  bar.appendChild(close);
  panel.appendChild(bar);

  var frame = null; // made on first open: no conversation, no request until asked for

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = chatUrl;
      frame.title = t("Customer support chat");
      frame.setAttribute("allow", "clipboard-write");
      panel.appendChild(frame);
    }
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.textContent = t("Close chat");
    frame.focus();
  }

  function shut() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.textContent = t("Chat with us");
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) open();
    else shut();
  });
  close.addEventListener("click", shut);
  shadow.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) shut();
  });

  if (style) shadow.appendChild(style);
  shadow.appendChild(panel);
  shadow.appendChild(launcher);

  function mount() {
    document.body.appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

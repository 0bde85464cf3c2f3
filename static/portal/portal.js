// The agent portal: speaks the agent socket protocol of docs/protocol.md.
// Everything a customer wrote is rendered with textContent, never as HTML.
(() => {
  "use strict";

  // The page's language, from Django's JavaScriptCatalog (/jsi18n/, loaded before this
  // file); without it the English phrases stand.
  const gettext = window.gettext || ((text) => text);
  const ngettext = window.ngettext || ((one, many, count) => (count === 1 ? one : many));
  const interpolate =
    window.interpolate ||
    ((text, values) => text.replace(/%\((\w+)\)s/g, (match, name) => values[name]));
  const format = (text, values) => interpolate(text, values, true);

  const config = JSON.parse(document.getElementById("portal-config").textContent);
  const $ = (id) => document.getElementById(id);
  const els = {
    connection: $("connection"),
    online: $("online-switch"),
    notify: $("notify-switch"),
    queue: $("queue"),
    queueCount: $("queue-count"),
    queueEmpty: $("queue-empty"),
    tabs: $("chat-tabs"),
    panels: $("chat-panels"),
    chatCount: $("chat-count"),
    chatsEmpty: $("chats-empty"),
    toast: $("toast"),
    queueTemplate: $("queue-item"),
    queueDigest: $("queue-digest"),
    offers: $("offers"),
    offerList: $("offer-list"),
    offerTemplate: $("offer-item"),
    availableControl: $("available-control"),
    available: $("available-switch"),
    chatTemplate: $("chat-panel"),
    releaseDialog: $("release-dialog"),
    releaseForm: $("release-form"),
    releaseWhat: $("release-what"),
    releaseOther: $("release-other"),
  };

  const PRIORITY = {
    1: gettext("low"),
    2: gettext("normal"),
    3: gettext("high"),
    4: gettext("urgent"),
  };
  const REASON = {
    customer_request: gettext("Asked for a person"),
    low_confidence: gettext("Assistant unsure"),
    frustration: gettext("Customer frustrated"),
    sensitive_topic: gettext("Sensitive topic"),
    vip: gettext("VIP customer"),
    handoff: gettext("Handed over by the company's assistant"),
  };
  const CLAIM_FAILED = {
    taken: gettext("Another agent was faster."),
    capacity: gettext("You are at your chat limit."),
    not_eligible: gettext("This ticket needs a language or skill you don't have."),
    not_found: gettext("This ticket no longer exists."),
  };

  const OFFER_GONE = {
    expired: gettext("The offer ran out; it went to another agent."),
    withdrawn: gettext("The customer left before you accepted."),
    taken: gettext("Another agent took that conversation."),
    capacity: gettext("You are at your chat limit."),
    not_yours: gettext("That offer was for someone else."),
    not_found: gettext("That offer no longer exists."),
  };

  // The socket's error details are English (docs/protocol.md); the agent reads these, by
  // code, in the page's language. A code not listed here shows the server's detail.
  const ERROR_TEXT = {
    body_too_long: gettext("That is too long: 4,000 characters at most (2,000 for a note)."),
    empty_body: gettext("There is nothing to send."),
    rate_limited: gettext("You're sending very fast; that one was dropped. Try again."),
    forbidden: gettext("You no longer hold this conversation."),
    conversation_closed: gettext("This conversation is closed."),
    not_found: gettext("That conversation no longer exists."),
    not_queued: gettext("That conversation is no longer waiting in the queue."),
    invalid_transition: gettext("That can't be done to this conversation now."),
    unavailable: gettext("We could not do that just now; please send it again in a moment."),
    internal: gettext("Something went wrong on our side. Please try again."),
  };
  // "offer": offers only; "hybrid": offers, and the queue to pick from; "pick": the queue.
  const routingMode = config.routingMode || "pick";

  const state = {
    beyondReach: [], // [{skills, waiting}]: queued tickets this agent lacks a skill for
    socket: null,
    wantOnline: sessionStorage.getItem("portal-online") === "1",
    retries: 0,
    reconnectTimer: null,
    queue: new Map(), // ticket id -> {summary, receivedAt}
    offers: new Map(), // offer id -> {frame, deadline, element}
    chats: new Map(), // ticket id -> chat
    activeChat: null,
  };

  // --- Socket -------------------------------------------------------------------------

  function send(frame) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function setConnection(text, online) {
    els.connection.textContent = text;
    els.connection.classList.toggle("is-online", Boolean(online));
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${config.wsPath}`);
    state.socket = socket;
    setConnection(gettext("Connecting…"));
    socket.addEventListener("open", () => {
      state.retries = 0;
      startHeartbeat(socket);
      setConnection(gettext("Online — customers can reach you"), true);
      for (const chat of state.chats.values()) {
        if (!chat.closed) {
          send({ type: "resume", ticket: chat.id, after_seq: contiguousSeq(chat) });
          flushOutbox(chat);
          flushNotes(chat);
        }
      }
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      const handler = handlers[frame.type];
      if (handler) handler(frame);
    });
    socket.addEventListener("close", (event) => {
      if (state.socket !== socket) return;
      state.socket = null;
      stopHeartbeat();
      if (event.code === 4403) {
        goOffline(gettext("Your account can't take conversations right now."));
        return;
      }
      if (!state.wantOnline) {
        setConnection(gettext("Offline"));
        return;
      }
      // Back off up to 10 s; held tickets stay ours for the grace period meanwhile.
      const delay = Math.min(10000, 500 * 2 ** state.retries++);
      setConnection(
        format(gettext("Connection lost — reconnecting in %(seconds)s s…"), {
          seconds: Math.round(delay / 1000) || 1,
        }),
      );
      state.reconnectTimer = setTimeout(connect, delay);
    });
  }

  // The server counts an agent present only while its socket is heard: a heartbeat every
  // config.heartbeatSeconds. An unanswered one means a half-open socket the browser has not
  // noticed: close it, and the close handler reconnects.
  function startHeartbeat(socket) {
    stopHeartbeat();
    const every = (config.heartbeatSeconds || 15) * 1000;
    state.heartbeatTimer = setInterval(() => {
      if (!send({ type: "heartbeat" })) return;
      clearTimeout(state.heartbeatWatchdog);
      state.heartbeatWatchdog = setTimeout(() => socket.close(), every);
    }, every);
  }

  function stopHeartbeat() {
    clearInterval(state.heartbeatTimer);
    clearTimeout(state.heartbeatWatchdog);
  }

  // Every message up to this seq is on screen; a resume asks for what follows.
  function contiguousSeq(chat) {
    while (chat.seen.has(chat.contiguous + 1)) chat.contiguous += 1;
    return chat.contiguous;
  }

  function healGaps(latest) {
    for (const [ticketId, seq] of Object.entries(latest || {})) {
      const chat = state.chats.get(Number(ticketId));
      if (chat && !chat.closed && seq > contiguousSeq(chat)) {
        send({ type: "resume", ticket: chat.id, after_seq: contiguousSeq(chat) });
      }
    }
  }

  function goOnline() {
    state.wantOnline = true;
    sessionStorage.setItem("portal-online", "1");
    els.online.checked = true;
    els.queueEmpty.textContent = gettext("Nobody is waiting right now.");
    connect();
  }

  function goOffline(message) {
    state.wantOnline = false;
    sessionStorage.removeItem("portal-online");
    els.online.checked = false;
    clearTimeout(state.reconnectTimer);
    if (state.socket) state.socket.close(1000);
    state.socket = null;
    state.queue.clear();
    renderQueue();
    for (const offerId of [...state.offers.keys()]) removeOffer(offerId);
    els.queueDigest.hidden = true;
    els.queueEmpty.textContent = gettext("Go online to see the customers waiting.");
    setConnection(message || gettext("Offline"));
  }

  // --- Queue --------------------------------------------------------------------------

  function upsertQueued(summary) {
    state.queue.set(summary.id, { summary, receivedAt: Date.now() });
  }

  function waitingSeconds(entry) {
    return entry.summary.waiting_seconds + Math.floor((Date.now() - entry.receivedAt) / 1000);
  }

  function formatWait(seconds) {
    if (seconds < 60) return format(gettext("%(seconds)s s"), { seconds });
    const minutes = Math.floor(seconds / 60);
    return format(gettext("%(minutes)s min %(seconds)s s"), { minutes, seconds: seconds % 60 });
  }

  function renderQueue() {
    const entries = [...state.queue.values()].sort(
      (a, b) => b.summary.priority - a.summary.priority || waitingSeconds(b) - waitingSeconds(a),
    );
    const items = entries.map((entry) => queueItem(entry));
    els.queue.replaceChildren(...items);
    els.queueCount.textContent = String(entries.length);
    // In offer routing the digest says what waits; the empty line would repeat it.
    const digestSays = routingMode === "offer" && !els.queueDigest.hidden;
    els.queueEmpty.hidden = entries.length > 0 || digestSays;
    if (!entries.length && state.wantOnline) {
      els.queueEmpty.textContent = beyondReachText() || gettext("Nobody is waiting right now.");
    }
  }

  // Tickets in the agent's languages that need a skill it lacks: counts and skill names
  // only (the server sends nothing else of them), so an empty queue is not taken for an
  // idle one. "2 conversations are waiting for agents with the Fraud and scams skill."
  function beyondReachText() {
    const parts = state.beyondReach.map(({ skills, waiting }) => {
      const names = skills.map((code) => (config.skillLabels || {})[code] || code);
      if (names.length === 1) {
        return format(
          ngettext(
            "%(count)s conversation is waiting for agents with the %(skill)s skill.",
            "%(count)s conversations are waiting for agents with the %(skill)s skill.",
            waiting,
          ),
          { count: waiting, skill: names[0] },
        );
      }
      const joined = names.reduce((list, name) =>
        format(gettext("%(list)s and %(name)s"), { list, name }),
      );
      return format(
        ngettext(
          "%(count)s conversation is waiting for agents with the %(skills)s skills.",
          "%(count)s conversations are waiting for agents with the %(skills)s skills.",
          waiting,
        ),
        { count: waiting, skills: joined },
      );
    });
    return parts.join(" ");
  }

  function noteBeyondReach(frame) {
    state.beyondReach = Array.isArray(frame.waiting_for_skills) ? frame.waiting_for_skills : [];
  }

  // What a queue card and an offer card both show of a ticket; text only, never HTML.
  function fillTicketCard(item, summary) {
    item.querySelector(".topic").textContent =
      `${summary.topic || gettext("Conversation")}${summary.customer_first_name ? ` — ${summary.customer_first_name}` : ""}`;
    const priority = item.querySelector(".priority");
    priority.textContent = PRIORITY[summary.priority] || summary.priority;
    priority.dataset.priority = summary.priority;
    item.querySelector(".language").textContent = summary.language;
    item.querySelector(".reason").textContent =
      REASON[summary.escalation_reason] || summary.escalation_reason || "";
    const ask = customerAsk(summary.summary);
    item.querySelector(".ask").textContent = ask || gettext("The customer hasn't written anything yet.");
    item.querySelector(".ask").classList.toggle("muted", !ask);
    item.querySelector(".summary").textContent = summary.summary || "";
    item.querySelector(".summary-more").hidden = !summary.summary;
  }

  // One line of what the customer wants, from the assistant's summary. Its format is
  // tickets/assistant/handover.py's: "Topic: …", "Why a person: …", "Customer said:" and
  // the customer's last messages as '- "…"' lines (oldest first: usually the question),
  // then the assistant's answer. A summary of another shape (a company's own assistant
  // handed over) gives its first line.
  function customerAsk(text) {
    const lines = (text || "").split("\n").map((line) => line.trim()).filter(Boolean);
    const said = lines.indexOf("Customer said:");
    if (said >= 0) {
      const quote = lines.slice(said + 1).find((line) => line.startsWith("- "));
      if (!quote || quote === "- nothing yet.") return "";
      return quote.slice(2).replace(/^"(.*)"$/, "$1");
    }
    return lines.find((line) => !/^(Topic|Why a person):/.test(line)) || "";
  }

  function queueItem(entry) {
    const { summary } = entry;
    const item = els.queueTemplate.content.firstElementChild.cloneNode(true);
    item.dataset.ticket = summary.id;
    fillTicketCard(item, summary);
    item.querySelector(".waiting").textContent = format(gettext("Waiting %(time)s"), {
      time: formatWait(waitingSeconds(entry)),
    });
    const claim = item.querySelector(".claim");
    claim.setAttribute(
      "aria-label",
      format(gettext("Claim %(topic)s #%(number)s"), {
        topic: summary.topic || gettext("conversation"),
        number: summary.id,
      }),
    );
    claim.addEventListener("click", () => {
      claim.disabled = true;
      claim.textContent = gettext("Claiming…");
      if (!send({ type: "claim", ticket: summary.id })) {
        claim.disabled = false;
        claim.textContent = gettext("Claim");
        showToast(gettext("You're offline: reconnecting first."));
      }
    });
    return item;
  }

  function markClaimFailed(ticketId, reason) {
    const item = els.queue.querySelector(`[data-ticket="${ticketId}"]`);
    const text = CLAIM_FAILED[reason] || gettext("Could not claim this ticket.");
    showToast(text);
    if (!item) return;
    item.querySelector(".claim-result").textContent = text;
    const claim = item.querySelector(".claim");
    claim.textContent = gettext("Claim");
    claim.disabled = reason === "taken" || reason === "not_found";
  }

  // --- Offers: one ticket at a time, with a deadline (docs/dispatch.md) -----------------

  function addOffer(frame) {
    removeOffer(frame.offer);
    const item = els.offerTemplate.content.firstElementChild.cloneNode(true);
    const { ticket } = frame;
    item.dataset.offer = frame.offer;
    item.dataset.ticket = ticket.id;
    fillTicketCard(item, ticket);
    item.querySelector(".pay").textContent = payText(frame.pay);
    const accept = item.querySelector(".accept");
    const decline = item.querySelector(".decline");
    const reasons = item.querySelector(".decline-reasons");
    accept.addEventListener("click", () => {
      accept.disabled = decline.disabled = true;
      accept.textContent = gettext("Accepting…");
      if (!send({ type: "accept", offer: frame.offer })) {
        accept.disabled = decline.disabled = false;
        accept.textContent = gettext("Accept");
        showToast(gettext("You're offline: reconnecting first."));
      }
    });
    decline.addEventListener("click", () => {
      reasons.hidden = false;
      reasons.querySelector("button").focus();
    });
    for (const button of reasons.querySelectorAll("button")) {
      button.addEventListener("click", () => {
        send({ type: "decline", offer: frame.offer, reason: button.dataset.reason });
        removeOffer(frame.offer);
      });
    }
    const offer = { frame, deadline: Date.now() + frame.expires_in * 1000, element: item };
    state.offers.set(frame.offer, offer);
    els.offerList.append(item);
    els.offers.hidden = false;
    tickOffer(offer);
    accept.focus();
    // Kept so that the notification goes with the offer (removeOffer closes it).
    offer.notification = notifyOffer(frame);
  }

  function payText(pay) {
    return pay
      ? format(gettext("Pays %(amount)s"), { amount: formatMoney(pay.amount_minor, pay.currency) })
      : "";
  }

  function tickOffer(offer) {
    const left = Math.max(0, Math.ceil((offer.deadline - Date.now()) / 1000));
    const countdown = offer.element.querySelector(".countdown");
    countdown.textContent = left
      ? format(gettext("%(seconds)s s to accept"), { seconds: left })
      : gettext("Time is up");
    countdown.classList.toggle("is-low", left <= 5);
  }

  function removeOffer(offerId) {
    const offer = state.offers.get(offerId);
    if (!offer) return;
    offer.notification?.close();
    offer.element.remove();
    state.offers.delete(offerId);
    els.offers.hidden = state.offers.size === 0;
  }

  function removeOfferForTicket(ticketId) {
    for (const [offerId, offer] of state.offers) {
      if (offer.frame.ticket.id === ticketId) removeOffer(offerId);
    }
  }

  // Stripe's minor units (core/money.py is the reference; keep the two in step): the amount
  // in a frame is what Stripe is sent, which for ISK, HUF and TWD is not CLDR's precision.
  const ZERO_DECIMAL = new Set(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split(" "),
  );
  const THREE_DECIMAL = new Set("BHD JOD KWD OMR TND".split(" "));

  function formatMoney(amountMinor, currency) {
    const code = (currency || "usd").toUpperCase();
    const exponent = ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2;
    try {
      // The page's language (the viewer's, set by Django), as the server-side amounts are.
      return new Intl.NumberFormat(document.documentElement.lang || undefined, {
        style: "currency",
        currency: code,
        maximumFractionDigits: exponent,
      }).format(amountMinor / 10 ** exponent);
    } catch {
      return `${amountMinor} ${code}`;
    }
  }

  function showDigest(frame) {
    const beyond = state.beyondReach.reduce((sum, { waiting }) => sum + waiting, 0);
    const yours = Math.max(0, frame.waiting - beyond);
    const lines = [
      yours
        ? format(
            gettext("%(count)s waiting · longest wait %(wait)s. Offers come to you one at a time."),
            { count: yours, wait: formatWait(frame.oldest_wait_seconds) },
          )
        : beyond
          ? gettext("Nobody is waiting that you can take.")
          : gettext("Nobody is waiting right now."),
    ];
    if (beyond) lines.push(beyondReachText());
    els.queueDigest.textContent = lines.join(" ");
    els.queueDigest.hidden = false;
    if (routingMode === "offer") {
      els.queueCount.textContent = String(yours);
      els.queueEmpty.hidden = true;
    }
  }

  function setAvailable(available, message) {
    els.available.checked = available;
    if (message) showToast(message);
  }

  // --- Chats --------------------------------------------------------------------------

  function ensureChat(summary) {
    let chat = state.chats.get(summary.id);
    if (chat) {
      chat.summary = summary;
      return chat;
    }
    const panel = els.chatTemplate.content.firstElementChild.cloneNode(true);
    const tab = document.createElement("button");
    tab.type = "button";
    tab.setAttribute("role", "tab");
    tab.className = "chat-tab";
    chat = {
      id: summary.id,
      summary,
      lastSeq: 0,
      contiguous: 0, // every seq up to this one is on screen
      seen: new Set(),
      pending: new Map(), // client_id -> {frame, element}
      noteIds: new Set(),
      pendingNotes: new Map(), // client_id -> {frame, element}
      closed: false,
      panel,
      tab,
      transcript: panel.querySelector(".transcript"),
      noteList: panel.querySelector(".note-list"),
      typingTimer: null,
      lastTypingSent: 0,
    };
    panel.id = `chat-${summary.id}`;
    panel.dataset.ticket = summary.id;
    tab.id = `tab-${summary.id}`;
    tab.setAttribute("aria-controls", panel.id);
    panel.setAttribute("aria-labelledby", tab.id);
    tab.textContent = `${summary.customer_first_name || gettext("Customer")} · ${summary.topic || gettext("chat")}`;
    tab.addEventListener("click", () => activate(chat.id));
    panel.querySelector(".chat-title").textContent =
      `${summary.customer_first_name || gettext("Customer")} — ${summary.topic || gettext("conversation")}`;
    panel.querySelector(".chat-meta").textContent =
      `#${summary.id} · ${summary.language} · ${REASON[summary.escalation_reason] || ""}` +
      // Reopened by the customer after a resolve (docs/quality.md): the last answer did not hold.
      (summary.reopen_count
        ? ` · ${format(gettext("reopened by the customer (%(count)s×)"), { count: summary.reopen_count })}`
        : "");
    panel.querySelector(".summary-text").textContent = summary.summary || gettext("No summary.");
    if (summary.reply_by_email) {
      // The customer left the page: what the agent writes reaches it by email, on resolve.
      const replyByEmail = panel.querySelector(".reply-by-email");
      replyByEmail.textContent = gettext(
        "The customer left a message and will get your replies by email when you resolve.",
      );
      replyByEmail.hidden = false;
    }
    wireChat(chat);
    els.tabs.append(tab);
    els.panels.append(panel);
    state.chats.set(chat.id, chat);
    activate(chat.id);
    updateChatCount();
    return chat;
  }

  function wireChat(chat) {
    const { panel } = chat;
    const body = panel.querySelector(".body");
    wireCannedReplies(chat, body);
    body.addEventListener("input", () => {
      if (Date.now() - chat.lastTypingSent > 2000) {
        chat.lastTypingSent = Date.now();
        send({ type: "typing", ticket: chat.id });
      }
    });
    body.addEventListener("keydown", (event) => {
      if (event.defaultPrevented) return; // the canned-reply list took the key
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        panel.querySelector(".composer").requestSubmit();
      }
    });
    panel.querySelector(".composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = body.value;
      if (!text.trim() || chat.closed) return;
      sendMessage(chat, text);
      body.value = "";
      body.focus();
    });
    const noteBody = panel.querySelector(".note-body");
    panel.querySelector(".note-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = noteBody.value;
      if (!text.trim() || chat.closed) return;
      sendNote(chat, text);
      noteBody.value = "";
    });
    panel.querySelector(".resolve").addEventListener("click", () => {
      if (!send({ type: "resolve", ticket: chat.id })) showToast(gettext("You're offline."));
    });
    panel.querySelector(".release").addEventListener("click", () => askRelease(chat));
  }

  // --- Release: asked in an in-page dialog, with reasons ----------------------------------

  let releasing = null; // the chat the release dialog is open for

  function askRelease(chat) {
    if (chat.closed) return;
    releasing = chat;
    // returnValue outlives a close: left at "release", an Escape would release again.
    els.releaseDialog.returnValue = "";
    els.releaseForm.reset();
    els.releaseOther.disabled = true;
    els.releaseWhat.textContent = format(
      gettext("%(customer)s (#%(number)s) goes back to the front of the queue for another agent."),
      { customer: chat.summary.customer_first_name || gettext("The customer"), number: chat.id },
    );
    els.releaseDialog.showModal(); // Escape closes it; focus returns in the close handler
  }

  function releaseReason() {
    const chosen = els.releaseForm.elements.reason.value;
    if (chosen !== "other") return chosen;
    // Recorded on the ticket's event row for staff: English, as RELEASE_REASONS' values are.
    const other = els.releaseOther.value.trim();
    return other ? `Other: ${other}` : "Other";
  }

  els.releaseForm.addEventListener("change", () => {
    els.releaseOther.disabled = els.releaseForm.elements.reason.value !== "other";
  });
  els.releaseDialog.querySelector(".release-cancel").addEventListener("click", () => {
    els.releaseDialog.close("cancel");
  });
  els.releaseDialog.addEventListener("close", () => {
    const chat = releasing;
    releasing = null;
    if (!chat) return;
    if (els.releaseDialog.returnValue === "release" && !chat.closed) {
      const sent = send({ type: "release", ticket: chat.id, reason: releaseReason() });
      if (!sent) showToast(gettext("You're offline: the conversation is still yours."));
    }
    // Back where the agent was; a released tab goes once the server confirms (release.ok).
    chat.panel.querySelector(".release").focus();
  });

  // --- Canned replies: "/" in the message box opens the list, filtered as one types -------

  // The "/" that starts the search: at the start of the box or after a space, with no line
  // break between it and the caret. Returns its index and the query after it, or null.
  function slashQuery(text, caret) {
    const before = text.slice(0, caret);
    const slash = before.lastIndexOf("/");
    if (slash < 0 || (slash > 0 && !/\s/.test(before[slash - 1]))) return null;
    const query = before.slice(slash + 1);
    if (query.includes("\n") || query.length > 40) return null;
    return { start: slash, query };
  }

  function cannedMatches(query) {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const scored = [];
    for (const reply of config.canned) {
      const title = reply.title.toLowerCase();
      const text = `${title} ${reply.body.toLowerCase()}`;
      if (words.every((word) => text.includes(word))) {
        scored.push({ reply, inTitle: words.every((word) => title.includes(word)) });
      }
    }
    // Replies whose title matches first; otherwise in the admin's (alphabetical) order.
    scored.sort((a, b) => Number(b.inTitle) - Number(a.inTitle));
    return scored.map((entry) => entry.reply);
  }

  function wireCannedReplies(chat, body) {
    const { panel } = chat;
    const picker = panel.querySelector(".canned-picker");
    const list = panel.querySelector(".canned-list");
    const opener = panel.querySelector(".canned-open");
    if (!config.canned.length) {
      panel.querySelector(".composer-hint").hidden = true;
      return;
    }
    list.id = `canned-list-${chat.id}`;
    body.setAttribute("aria-controls", list.id);
    opener.setAttribute("aria-controls", list.id);
    const picking = { slash: null, dismissedAt: null, options: [], active: 0 };

    function close() {
      picker.hidden = true;
      picking.slash = null;
      picking.options = [];
      body.removeAttribute("aria-activedescendant");
      opener.setAttribute("aria-expanded", "false");
    }

    function highlight(index) {
      picking.active = index;
      picking.options.forEach((option, i) => {
        option.setAttribute("aria-selected", String(i === index));
      });
      const option = picking.options[index];
      if (option) {
        body.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    }

    function choose(reply) {
      const { start } = picking.slash;
      const end = body.selectionStart;
      body.value = body.value.slice(0, start) + reply.body + body.value.slice(end);
      const caret = start + reply.body.length;
      close();
      body.focus();
      body.setSelectionRange(caret, caret);
      body.dispatchEvent(new Event("input")); // the typing signal, as for typed text
    }

    function refresh() {
      const found = chat.closed ? null : slashQuery(body.value, body.selectionStart);
      if (!found || found.start === picking.dismissedAt) {
        if (!found) picking.dismissedAt = null;
        close();
        return;
      }
      const replies = cannedMatches(found.query);
      if (!replies.length) {
        close();
        return;
      }
      picking.slash = found;
      picking.options = replies.map((reply, index) => {
        const option = document.createElement("li");
        option.id = `canned-${chat.id}-${index}`;
        option.setAttribute("role", "option");
        option.className = "canned-option";
        const title = document.createElement("strong");
        title.textContent = reply.title;
        const preview = document.createElement("span");
        preview.className = "muted";
        preview.textContent = reply.body; // text, never HTML
        option.append(title, " ", preview);
        // mousedown, not click: the message box keeps the focus (and its caret).
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(reply);
        });
        option.reply = reply;
        return option;
      });
      list.replaceChildren(...picking.options);
      picker.hidden = false;
      opener.setAttribute("aria-expanded", "true");
      highlight(0);
    }

    body.addEventListener("input", refresh);
    body.addEventListener("click", refresh);
    body.addEventListener("blur", close);
    body.addEventListener("keydown", (event) => {
      if (picker.hidden) return;
      const count = picking.options.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        highlight((picking.active + (event.key === "ArrowDown" ? 1 : count - 1)) % count);
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(picking.options[picking.active].reply);
      } else if (event.key === "Escape") {
        event.preventDefault();
        picking.dismissedAt = picking.slash.start;
        close();
      }
    });
    // The button types the slash for the agent: the same list, from the pointer.
    opener.addEventListener("click", () => {
      const caret = body.selectionEnd;
      const typed = slashQuery(body.value, caret);
      if (!typed) {
        // A slash of its own, unless the caret is already in a search (then it reopens).
        const needsSpace = caret > 0 && !/\s/.test(body.value[caret - 1]);
        body.setRangeText(needsSpace ? " /" : "/", body.selectionStart, caret, "end");
      }
      body.focus();
      picking.dismissedAt = null;
      refresh();
    });
  }

  function activate(ticketId) {
    state.activeChat = ticketId;
    for (const chat of state.chats.values()) {
      const active = chat.id === ticketId;
      chat.panel.hidden = !active;
      chat.tab.setAttribute("aria-selected", String(active));
      chat.tab.classList.toggle("is-active", active);
      if (active) chat.tab.classList.remove("has-news");
    }
  }

  function updateChatCount() {
    const open = [...state.chats.values()].filter((chat) => !chat.closed).length;
    els.chatCount.textContent = String(open);
    els.chatsEmpty.hidden = state.chats.size > 0;
  }

  function sendMessage(chat, text) {
    const clientId = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    const frame = { type: "message", ticket: chat.id, client_id: clientId, body: text };
    const element = messageElement({ sender: "agent", body: text });
    element.classList.add("is-pending");
    element.querySelector(".meta").textContent = gettext("Sending…");
    chat.transcript.append(element);
    scrollToEnd(chat);
    chat.pending.set(clientId, { frame, element });
    send(frame); // if offline, the outbox is flushed on reconnect; the server dedupes
  }

  function flushOutbox(chat) {
    for (const { frame } of chat.pending.values()) send(frame);
  }

  function messageElement(message) {
    const item = document.createElement("li");
    item.className = `message from-${message.sender}`;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = {
      customer: gettext("Customer"),
      bot: gettext("Assistant"),
      agent: gettext("You"),
      system: "",
    }[message.sender];
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = message.body; // never innerHTML: customers' words are text
    const meta = document.createElement("span");
    meta.className = "meta";
    if (message.created_at) {
      meta.textContent = new Date(message.created_at).toLocaleTimeString([], {
        hour: "2-digit",
        minute: "2-digit",
      });
    }
    item.append(who, body, meta);
    return item;
  }

  function addMessage(chat, message) {
    if (chat.seen.has(message.seq)) return;
    const pending = message.client_id && chat.pending.get(message.client_id);
    if (pending) {
      // Our own message, pushed back with its seq: settle the bubble already shown.
      settlePending(chat, message.client_id, message.seq, message.created_at);
    } else {
      const element = messageElement(message);
      element.dataset.seq = message.seq;
      insertInOrder(chat, element, message.seq);
    }
    chat.seen.add(message.seq);
    chat.lastSeq = Math.max(chat.lastSeq, message.seq);
    if (message.sender === "customer") {
      chat.panel.querySelector(".typing").hidden = true;
      if (state.activeChat !== chat.id) chat.tab.classList.add("has-news");
    }
    scrollToEnd(chat);
  }

  function settlePending(chat, clientId, seq, createdAt) {
    const pending = chat.pending.get(clientId);
    if (!pending) return;
    chat.pending.delete(clientId);
    pending.element.classList.remove("is-pending");
    pending.element.dataset.seq = seq;
    pending.element.querySelector(".meta").textContent = createdAt
      ? new Date(createdAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : gettext("Sent");
    chat.seen.add(seq);
    chat.lastSeq = Math.max(chat.lastSeq, seq);
  }

  // --- Private notes: the agents' record, never sent to the customer -------------------

  function newClientId() {
    return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  }

  function sendNote(chat, text) {
    const clientId = newClientId();
    const frame = { type: "note", ticket: chat.id, client_id: clientId, body: text };
    const element = noteElement({ body: text, agent_name: config.agentName });
    element.classList.add("is-pending");
    element.querySelector(".meta").textContent = gettext("Saving…");
    chat.noteList.append(element);
    chat.pendingNotes.set(clientId, { frame, element });
    send(frame); // if offline, resent on reconnect; the server stores it once per client_id
  }

  function flushNotes(chat) {
    for (const { frame } of chat.pendingNotes.values()) send(frame);
  }

  function noteElement(note) {
    const item = document.createElement("li");
    item.className = "note";
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = note.agent_name
      ? format(gettext("Note by %(name)s"), { name: note.agent_name })
      : gettext("Note");
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = note.body; // never innerHTML
    const meta = document.createElement("span");
    meta.className = "meta";
    if (note.created_at) meta.textContent = formatTime(note.created_at);
    item.append(who, body, meta);
    return item;
  }

  function addNote(chat, note) {
    if (chat.noteIds.has(note.id)) return;
    chat.noteIds.add(note.id);
    const pending = note.client_id && chat.pendingNotes.get(note.client_id);
    if (pending) {
      chat.pendingNotes.delete(note.client_id);
      pending.element.classList.remove("is-pending");
      pending.element.dataset.note = note.id;
      pending.element.querySelector(".meta").textContent = formatTime(note.created_at);
      return;
    }
    const element = noteElement(note);
    element.dataset.note = note.id;
    chat.noteList.append(element);
  }

  function formatTime(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function insertInOrder(chat, element, seq) {
    const later = [...chat.transcript.children].find(
      (child) => child.dataset.seq && Number(child.dataset.seq) > seq,
    );
    chat.transcript.insertBefore(element, later || null);
  }

  function scrollToEnd(chat) {
    chat.transcript.scrollTop = chat.transcript.scrollHeight;
  }

  function closeChat(ticketId, status) {
    const chat = state.chats.get(ticketId);
    if (!chat || chat.closed) return;
    chat.closed = true;
    const note = chat.panel.querySelector(".closed-note");
    note.hidden = false;
    note.textContent =
      status === "resolved"
        ? gettext("Resolved. Thank you!")
        : gettext("This conversation went back to the queue; you no longer hold it.");
    for (const control of chat.panel.querySelectorAll("textarea, button, select")) {
      control.disabled = true;
    }
    chat.panel.classList.add("is-closed");
    if (releasing === chat) els.releaseDialog.close("cancel");
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "dismiss";
    dismiss.textContent = gettext("Close tab");
    dismiss.addEventListener("click", () => removeChat(ticketId));
    note.append(" ", dismiss);
    chat.tab.classList.add("is-closed");
    updateChatCount();
  }

  function removeChat(ticketId) {
    const chat = state.chats.get(ticketId);
    if (!chat) return;
    if (releasing === chat) els.releaseDialog.close("cancel");
    chat.panel.remove();
    chat.tab.remove();
    state.chats.delete(ticketId);
    updateChatCount();
    const next = state.chats.keys().next();
    if (!next.done) {
      activate(next.value);
      state.chats.get(next.value).tab.focus();
    } else {
      els.chatsEmpty.focus();
    }
  }

  // --- Notifications ------------------------------------------------------------------

  function notifyNewTicket(summary) {
    if (!els.notify.checked || !document.hidden) return;
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification(gettext("A customer is waiting"), {
        body: `${summary.topic || gettext("Conversation")} · ${summary.language}`,
        tag: `ticket-${summary.id}`,
      });
    }
    chime();
  }

  // An offer is this agent's alone and runs out: it says so, unlike a queue ticket's.
  function notifyOffer(frame) {
    if (!els.notify.checked || !document.hidden) return null;
    let notification = null;
    if ("Notification" in window && Notification.permission === "granted") {
      const title = format(gettext("Offer: %(topic)s"), {
        topic: frame.ticket.topic || gettext("Conversation"),
      });
      const within = format(gettext("Accept within %(seconds)s s"), { seconds: frame.expires_in });
      notification = new Notification(title, {
        body: [payText(frame.pay), within]
          .filter(Boolean)
          .join(" · "),
        tag: `offer-${frame.offer}`,
      });
      notification.onclick = () => {
        window.focus();
        notification.close();
      };
    }
    chime();
    return notification;
  }

  function chime() {
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.4);
    } catch {
      // Sound is a nicety; a browser that blocks it still shows the notification.
    }
  }

  function showToast(text) {
    els.toast.textContent = text;
    els.toast.hidden = false;
    clearTimeout(showToast.timer);
    showToast.timer = setTimeout(() => {
      els.toast.hidden = true;
    }, 4000);
  }

  // --- Events from the server -----------------------------------------------------------

  const handlers = {
    queue(frame) {
      // The database's view, resent every few seconds: it replaces ours, healing lost pushes.
      noteBeyondReach(frame);
      state.queue.clear();
      for (const summary of frame.tickets) upsertQueued(summary);
      renderQueue();
    },
    assigned(frame) {
      for (const summary of frame.tickets) {
        const chat = ensureChat(summary);
        for (const note of summary.notes || []) addNote(chat, note);
        send({ type: "resume", ticket: chat.id, after_seq: contiguousSeq(chat) });
      }
    },
    "ticket.new"(frame) {
      upsertQueued(frame.ticket);
      renderQueue();
      notifyNewTicket(frame.ticket);
    },
    "ticket.updated"(frame) {
      upsertQueued(frame.ticket);
      renderQueue();
    },
    "ticket.taken"(frame) {
      state.queue.delete(frame.ticket);
      renderQueue();
    },
    "claim.ok"(frame) {
      removeOfferForTicket(frame.ticket.id);
      state.queue.delete(frame.ticket.id);
      renderQueue();
      const chat = ensureChat(frame.ticket);
      for (const message of frame.ticket.transcript || []) addMessage(chat, message);
      for (const note of frame.ticket.notes || []) addNote(chat, note);
      chat.panel.querySelector(".body").focus();
    },
    "claim.failed"(frame) {
      markClaimFailed(frame.ticket, frame.reason);
    },
    offer(frame) {
      addOffer(frame);
    },
    "offer.gone"(frame) {
      removeOffer(frame.offer);
      showToast(OFFER_GONE[frame.reason] || gettext("That offer is no longer open."));
    },
    "decline.ok"(frame) {
      removeOffer(frame.offer);
    },
    presence(frame) {
      setAvailable(
        frame.status === "available",
        // Only when the server set the agent away; the agent's own switch needs no toast.
        frame.reason === "missed_offers"
          ? gettext(
              "Offers are paused: several ran out unanswered. Switch “Available for offers” back on when you're ready.",
            )
          : "",
      );
    },
    "queue.digest"(frame) {
      noteBeyondReach(frame);
      showDigest(frame);
    },
    "ticket.assigned"(frame) {
      const chat = ensureChat(frame.ticket);
      send({ type: "resume", ticket: chat.id, after_seq: contiguousSeq(chat) });
    },
    "ticket.closed"(frame) {
      closeChat(frame.ticket, frame.status);
    },
    message(frame) {
      const chat = state.chats.get(frame.ticket);
      if (chat) addMessage(chat, frame);
    },
    ack(frame) {
      const chat = state.chats.get(frame.ticket);
      if (chat) settlePending(chat, frame.client_id, frame.seq);
    },
    typing(frame) {
      const chat = state.chats.get(frame.ticket);
      if (!chat) return;
      const indicator = chat.panel.querySelector(".typing");
      indicator.hidden = false;
      clearTimeout(chat.typingTimer);
      chat.typingTimer = setTimeout(() => {
        indicator.hidden = true;
      }, 4000);
    },
    note(frame) {
      const chat = state.chats.get(frame.ticket);
      if (chat) addNote(chat, frame);
    },
    "note.ok"(frame) {
      const chat = state.chats.get(frame.ticket);
      if (chat) addNote(chat, frame);
    },
    "resolve.ok"(frame) {
      closeChat(frame.ticket, "resolved");
    },
    "release.ok"(frame) {
      // The agent let it go: nothing of it is theirs to act on, so its tab goes.
      const chat = state.chats.get(frame.ticket);
      const who = chat?.summary.customer_first_name || gettext("The conversation");
      removeChat(frame.ticket);
      showToast(
        format(gettext("Released: %(who)s (#%(number)s) is back in the queue."), {
          who,
          number: frame.ticket,
        }),
      );
    },
    "heartbeat.ok"(frame) {
      clearTimeout(state.heartbeatWatchdog);
      healGaps(frame.tickets);
    },
    error(frame) {
      if (frame.code === "forbidden" && frame.ticket) closeChat(frame.ticket, "queued");
      if (frame.code === "unavailable") {
        // Nothing was changed. Messages and notes are sent again shortly (their client_id
        // makes a resend safe); a claim, resolve or release is for the agent to try again.
        const chat = state.chats.get(frame.ticket);
        if (chat && frame.client_id) {
          setTimeout(() => {
            flushOutbox(chat);
            flushNotes(chat);
          }, 2000);
        }
      }
      showToast(ERROR_TEXT[frame.code] || frame.detail || gettext("Something went wrong."));
    },
  };

  // --- Start --------------------------------------------------------------------------

  els.online.addEventListener("change", () => {
    if (els.online.checked) goOnline();
    else goOffline();
  });
  els.notify.checked = localStorage.getItem("portal-notify") === "1";
  els.notify.addEventListener("change", async () => {
    if (els.notify.checked && "Notification" in window && Notification.permission === "default") {
      await Notification.requestPermission();
    }
    localStorage.setItem("portal-notify", els.notify.checked ? "1" : "0");
  });
  setInterval(() => {
    if (state.queue.size) renderQueue();
  }, 5000);
  setInterval(() => {
    for (const offer of state.offers.values()) tickOffer(offer);
  }, 250);
  if (routingMode !== "pick") {
    els.availableControl.hidden = false;
    els.available.addEventListener("change", () => {
      send({ type: "presence", status: els.available.checked ? "available" : "away" });
    });
  }
  if (routingMode === "offer") els.queue.hidden = true;
  if (state.wantOnline) goOnline();
})();

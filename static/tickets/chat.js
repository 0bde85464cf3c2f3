/* Humanline customer chat: speaks docs/protocol.md over /ws/chat/<token>/.
 *
 * Guarantees kept here, as the protocol asks of clients:
 *  - Every message gets a client_id once and keeps it on resend; the server stores it once.
 *  - Messages typed with no socket wait in an outbox (kept in localStorage, so a reload
 *    keeps them too) and are sent when the socket opens; an ack removes them.
 *  - The highest seq below which nothing is missing is kept; every (re)connect resumes
 *    from it, and a message whose seq is already on screen is ignored.
 *  - Bodies are only ever set with textContent: a message is text, never markup.
 *  - An answer from a help article shows its source and asks "That helped" / "Talk to a
 *    person" once; a verdict sent and not yet acknowledged is sent again on reconnect (the
 *    server stores it once).
 *  - After a resolve, while the server says confirm_asked, "Did this solve your problem?"
 *    is shown beside the rating, and the composer stays: writing again reopens the same
 *    conversation rather than starting a new one (docs/quality.md).
 */
(function () {
  "use strict";

  var root = document.getElementById("chat");
  if (!root) return;

  // The page's language, from Django's JavaScriptCatalog (/jsi18n/, loaded before this
  // file); without it the English phrases stand.
  var gettext = window.gettext || function (text) { return text; };
  var ngettext =
    window.ngettext || function (one, many, count) { return count === 1 ? one : many; };
  var interpolate =
    window.interpolate ||
    function (text, values) {
      return text.replace(/%\((\w+)\)s/g, function (match, name) { return values[name]; });
    };
  function format(text, values) {
    return interpolate(text, values, true);
  }

  var STORAGE_KEY = "humanline.chat.v1";
  var HEARTBEAT_MS = 25000;
  var HEARTBEAT_TIMEOUT_MS = 10000;
  var RECONNECT_MIN_MS = 500;
  var RECONNECT_MAX_MS = 15000;
  var TYPING_SEND_EVERY_MS = 2500;
  var TYPING_SHOWN_MS = 5000;
  // The server drops frames beyond 10 a second; stay under it when flushing an outbox.
  var FRAMES_PER_SECOND = 8;
  // The header button's words: once this conversation is closed, pressing it starts another.
  var TALK = gettext("Talk to a person");
  var TALK_AGAIN = gettext("Talk to a person in a new conversation");

  var el = {
    status: document.getElementById("chat-status"),
    talk: document.getElementById("talk-to-person"),
    queue: document.getElementById("queue"),
    queuePosition: document.getElementById("queue-position"),
    queueWait: document.getElementById("queue-wait"),
    noAgent: document.getElementById("no-agent"),
    noAgentTitle: document.getElementById("no-agent-title"),
    noAgentChoices: document.getElementById("no-agent-choices"),
    keepWaiting: document.getElementById("keep-waiting"),
    leaveMessage: document.getElementById("leave-message"),
    keptWaiting: document.getElementById("kept-waiting"),
    emailReplyForm: document.getElementById("email-reply-form"),
    replyEmail: document.getElementById("reply-email"),
    replyEmailError: document.getElementById("reply-email-error"),
    emailReplyDone: document.getElementById("email-reply-done"),
    connection: document.getElementById("connection"),
    aboutYou: document.getElementById("about-you"),
    name: document.getElementById("customer-name"),
    email: document.getElementById("customer-email"),
    messages: document.getElementById("messages"),
    typing: document.getElementById("typing"),
    composer: document.getElementById("composer"),
    input: document.getElementById("chat-message"),
    wrapUp: document.getElementById("wrap-up"),
    wrapUpTitle: document.getElementById("wrap-up-title"),
    ratingForm: document.getElementById("rating-form"),
    ratingDone: document.getElementById("rating-done"),
    confirm: document.getElementById("confirm"),
    confirmYes: document.getElementById("confirm-yes"),
    confirmNo: document.getElementById("confirm-no"),
    confirmDone: document.getElementById("confirm-done"),
    transcript: document.getElementById("transcript-link"),
    newConversation: document.getElementById("new-conversation"),
    notice: document.getElementById("notice"),
  };

  var state = {
    token: null,
    status: null,
    agentName: "",
    outbox: [], // [{client_id, body}], oldest first, until acked
    wantsPerson: false, // "Talk to a person" pressed, not yet seen as queued
    seen: {}, // seq -> <li>
    lastSeq: 0, // every seq up to this one is on screen
    socket: null,
    open: false,
    attempts: 0,
    reconnectTimer: null,
    heartbeatTimer: null,
    heartbeatWatchdog: null,
    creating: null, // the pending POST /api/v1/conversations/, if any
    sendTimes: [],
    sendQueue: [],
    pumpTimer: null,
    lastTypingSent: 0,
    typingTimer: null,
    feedbackSent: {}, // seq -> verdict, sent and not yet acknowledged
    emailReply: false, // the customer left an email address for the reply
    replyEmailAddress: "", // which, once the server confirmed it on this page
    confirmAsked: false, // resolved, and "Did this solve your problem?" still stands
    confirmSent: null, // the answer sent (true/false) and not yet acknowledged
  };

  // --- Storage: localStorage when the browser allows it (not always in a frame) ----------

  var memoryStore = {};
  function readStore() {
    try {
      return JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null") || {};
    } catch (e) {
      return memoryStore;
    }
  }
  function save() {
    var data = { token: state.token, outbox: state.outbox, wantsPerson: state.wantsPerson };
    memoryStore = data;
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(data));
    } catch (e) {
      /* private mode or blocked storage: this tab still works from memory */
    }
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // Non-secure contexts (plain http on a LAN address) lack randomUUID.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) { return (b + 256).toString(16).slice(1); })
      .join("");
  }

  // --- Rendering -------------------------------------------------------------------------

  var SENDER_NAMES = { customer: gettext("You"), bot: gettext("Assistant"), system: "" };

  function senderName(sender, agentName) {
    if (sender === "agent") return agentName || state.agentName || gettext("Agent");
    return SENDER_NAMES[sender] || "";
  }

  function formatTime(iso) {
    var date = iso ? new Date(iso) : new Date();
    if (isNaN(date.getTime())) return "";
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function messageItem(sender, body, createdAt, agentName) {
    var item = document.createElement("li");
    item.className = "message message--" + sender;
    var name = senderName(sender, agentName);
    if (name) {
      var who = document.createElement("span");
      who.className = "message-sender";
      who.textContent = name;
      var colon = document.createElement("span");
      colon.className = "visually-hidden";
      colon.textContent = ": ";
      who.appendChild(colon);
      item.appendChild(who);
    }
    var text = document.createElement("p");
    text.className = "message-body";
    text.textContent = body; // never innerHTML: "<script>" must show as those characters
    item.appendChild(text);
    var meta = document.createElement("span");
    meta.className = "message-meta";
    var time = document.createElement("time");
    if (createdAt) time.dateTime = createdAt;
    time.textContent = formatTime(createdAt);
    meta.appendChild(time);
    item.appendChild(meta);
    return item;
  }

  function setDelivery(item, text) {
    var meta = item.querySelector(".message-meta");
    var note = meta.querySelector(".message-delivery");
    if (!note) {
      note = document.createElement("span");
      note.className = "message-delivery";
      meta.appendChild(note);
    }
    note.textContent = text;
  }

  // Messages sit in seq order; unacked ones (no seq yet) stay at the end.
  function insertInOrder(item, seq) {
    var children = el.messages.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i].dataset.seq;
      if (other === undefined || Number(other) > seq) {
        el.messages.insertBefore(item, children[i]);
        return;
      }
    }
    el.messages.appendChild(item);
  }

  function scrollToEnd() {
    el.messages.scrollTop = el.messages.scrollHeight;
  }

  function markSeen(seq, item) {
    state.seen[seq] = item;
    while (state.seen[state.lastSeq + 1]) state.lastSeq += 1;
  }

  // --- An answer from a help article: its source, and "That helped" / "Talk to a person" ---

  // The stored answer ends with its source as text; the page shows the source on a line of
  // its own instead.
  var SOURCE_LINE = /\s*\(From: ".*"\)\s*$/;

  function answerBody(frame) {
    return frame.article ? frame.body.replace(SOURCE_LINE, "") : frame.body;
  }

  function addArticle(item, frame) {
    var source = document.createElement("p");
    source.className = "message-source";
    source.textContent = format(gettext("Source: %(title)s"), { title: frame.article.title });
    var meta = item.querySelector(".message-meta");
    item.insertBefore(source, meta);
    var feedback = document.createElement("div");
    feedback.className = "message-feedback";
    feedback.setAttribute("role", "group");
    feedback.setAttribute("aria-label", gettext("Did this answer help?"));
    item.insertBefore(feedback, meta);
    if (frame.feedback) {
      feedbackGiven(item, frame.feedback, false);
      return;
    }
    [[gettext("That helped"), "helped"], [gettext("Talk to a person"), "person"]].forEach(function (choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "feedback-choice";
      button.textContent = choice[0];
      button.dataset.verdict = choice[1];
      button.addEventListener("click", function () {
        chooseFeedback(frame.seq, choice[1]);
      });
      feedback.appendChild(button);
    });
  }

  function feedbackButtons(seq) {
    var item = state.seen[seq];
    return item ? item.querySelectorAll(".feedback-choice") : [];
  }

  function chooseFeedback(seq, verdict) {
    if (state.feedbackSent[seq]) return; // one verdict per answer, already on its way
    state.feedbackSent[seq] = verdict;
    feedbackButtons(seq).forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
    showNotice("");
    // Unsent (no socket), it goes with the others when the socket opens.
    send({ type: "feedback", seq: seq, verdict: verdict });
  }

  function resendFeedback() {
    Object.keys(state.feedbackSent).forEach(function (seq) {
      send({ type: "feedback", seq: Number(seq), verdict: state.feedbackSent[seq] });
    });
  }

  function handoverText() {
    if (state.status === "queued") return gettext("Handed over: you're in the queue for a person.");
    if (state.status === "assigned") {
      return state.agentName
        ? format(gettext("Handed over: %(name)s is chatting with you."), { name: state.agentName })
        : gettext("Handed over: a person is chatting with you.");
    }
    if (state.status === "resolved" || state.status === "abandoned") {
      return gettext("You asked for a person.");
    }
    return gettext("Handing you over to a person…");
  }

  // The buttons make way for a line saying what the choice did; it keeps the focus when a
  // button had it, so a keyboard user is not sent back to the top of the page.
  function feedbackGiven(item, verdict, moveFocus) {
    var feedback = item.querySelector(".message-feedback");
    if (!feedback) return;
    var hadFocus = feedback.contains(document.activeElement);
    var done = document.createElement("p");
    done.className = "message-feedback-done";
    done.dataset.verdict = verdict;
    done.tabIndex = -1;
    done.textContent = verdict === "person" ? handoverText() : gettext("Thanks for telling us.");
    feedback.textContent = "";
    feedback.appendChild(done);
    if (moveFocus && hadFocus) done.focus();
  }

  function feedbackAcknowledged(frame) {
    delete state.feedbackSent[frame.seq];
    var item = state.seen[frame.seq];
    if (item) feedbackGiven(item, frame.verdict, true);
  }

  function feedbackRefused(frame) {
    delete state.feedbackSent[frame.seq];
    var item = state.seen[frame.seq];
    if (frame.code === "feedback_given" && item) {
      // Given already, from another tab: nothing more to choose here.
      var done = item.querySelector(".message-feedback");
      if (done) done.textContent = gettext("You already told us about this answer.");
      return;
    }
    feedbackButtons(frame.seq).forEach(function (button) {
      button.removeAttribute("aria-disabled");
    });
  }

  function showMessage(frame) {
    if (typeof frame.seq !== "number" || state.seen[frame.seq]) return; // a double: ignore
    var item = messageItem(frame.sender, answerBody(frame), frame.created_at, frame.agent_name);
    if (frame.sender === "bot" && frame.article) addArticle(item, frame);
    item.dataset.seq = String(frame.seq);
    insertInOrder(item, frame.seq);
    markSeen(frame.seq, item);
    if (frame.sender === "agent") {
      if (frame.agent_name) state.agentName = frame.agent_name;
      hideTyping();
    }
    scrollToEnd();
  }

  function pendingItem(clientId) {
    return el.messages.querySelector('li[data-client-id="' + clientId + '"]');
  }

  function showPending(entry) {
    var item = messageItem("customer", entry.body, null);
    item.classList.add("message--pending");
    item.dataset.clientId = entry.client_id;
    setDelivery(item, state.open ? gettext("Sending…") : gettext("Waiting for the connection…"));
    el.messages.appendChild(item);
    scrollToEnd();
  }

  function acknowledged(clientId, seq) {
    state.outbox = state.outbox.filter(function (entry) { return entry.client_id !== clientId; });
    save();
    var item = pendingItem(clientId);
    if (!item) return;
    if (state.seen[seq]) {
      item.remove(); // the message frame came first and is already on screen
      return;
    }
    item.classList.remove("message--pending");
    delete item.dataset.clientId;
    item.dataset.seq = String(seq);
    setDelivery(item, gettext("Sent"));
    item.remove();
    insertInOrder(item, seq);
    markSeen(seq, item);
  }

  function showNotice(text) {
    el.notice.textContent = text;
    el.notice.hidden = !text;
  }

  // --- Status ----------------------------------------------------------------------------

  function formatWait(seconds) {
    if (typeof seconds !== "number") return gettext("we don't know yet");
    if (seconds < 60) return gettext("under a minute");
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) {
      return format(ngettext("about %(count)s minute", "about %(count)s minutes", minutes), {
        count: minutes,
      });
    }
    var hours = Math.round(minutes / 60);
    return format(ngettext("about %(count)s hour", "about %(count)s hours", hours), {
      count: hours,
    });
  }

  function setText(node, text) {
    // Unchanged text is not rewritten, so screen readers do not re-announce it every 5 s.
    if (node.textContent !== text) node.textContent = text;
  }

  function applyStatus(frame) {
    var status = frame.status;
    state.unavailableRetries = 0;
    state.status = status;
    if (status === "queued" || status === "assigned") state.wantsPerson = false;
    save();
    el.queue.hidden = status !== "queued";
    el.talk.setAttribute("aria-disabled", String(status === "queued" || status === "assigned"));
    var closed = status === "resolved" || status === "abandoned";
    state.confirmAsked = status === "resolved" && frame.confirm_asked === true;
    // After a close the button still works, but for a new conversation: it says so. While
    // "Did this solve your problem?" stands, "No" is the way back to a person, in this
    // conversation: a second button for a new one would only compete with it.
    setText(el.talk, closed ? TALK_AGAIN : TALK);
    el.talk.hidden = state.confirmAsked;
    // Within the reopen window, writing again reopens this conversation.
    el.composer.hidden = closed && !state.confirmAsked;
    el.input.disabled = closed && !state.confirmAsked;
    if (status === "bot") {
      setText(el.status, gettext("You're chatting with our assistant. A person is one click away."));
    } else if (status === "queued") {
      var nobody = frame.no_agent_online === true && !frame.connecting;
      setText(
        el.status,
        frame.connecting
          ? gettext("Connecting you with a person now…")
          : nobody
            ? gettext("No one who can help with this is online right now.")
            : gettext("You're in the queue for a person. Someone will join you here.")
      );
      if (typeof frame.queue_position === "number") {
        setText(el.queuePosition, String(frame.queue_position));
        setText(el.queueWait, formatWait(frame.eta_seconds));
      }
      if (frame.email_reply) emailReplyConfirmed(null, false);
      el.noAgent.hidden = !(nobody || state.emailReply);
    } else if (status === "assigned") {
      if (frame.agent_name) state.agentName = frame.agent_name;
      setText(
        el.status,
        state.agentName
          ? format(gettext("%(name)s is chatting with you."), { name: state.agentName })
          : gettext("An agent is chatting with you.")
      );
    } else if (closed) {
      hideTyping();
      setText(
        el.status,
        status === "resolved"
          ? gettext("This conversation is resolved.")
          : gettext("This conversation was closed after a long silence.")
      );
      showWrapUp(status);
    }
    if (status !== "queued") el.noAgent.hidden = true;
    if (!closed) el.wrapUp.hidden = true;
    el.messages.querySelectorAll('.message-feedback-done[data-verdict="person"]').forEach(
      function (line) { setText(line, handoverText()); }
    );
  }

  function showWrapUp(status) {
    var wasHidden = el.wrapUp.hidden;
    el.wrapUp.hidden = false;
    el.wrapUpTitle.textContent =
      status === "resolved" ? gettext("This conversation is resolved") : gettext("This conversation was closed");
    el.ratingForm.hidden = status !== "resolved" || !el.ratingDone.hidden;
    el.confirm.hidden = !state.confirmAsked;
    if (state.confirmAsked) {
      el.confirmDone.hidden = true;
      el.confirmYes.disabled = el.confirmNo.disabled = false;
    }
    el.transcript.href = root.dataset.transcriptUrl.replace(
      "TOKEN",
      encodeURIComponent(state.token)
    );
    var report = document.getElementById("report-link");
    if (report) report.href = report.dataset.url.replace("TOKEN", encodeURIComponent(state.token));
    // The composer just went away; give keyboard and screen reader users the next step.
    if (wasHidden) el.wrapUpTitle.focus();
  }

  function setConnection(name, text) {
    el.connection.dataset.state = name;
    setText(el.connection, text);
  }

  // --- Nobody who can help is online: keep waiting, or be answered by email ----------------

  function keepWaiting() {
    el.keepWaiting.hidden = true;
    el.keptWaiting.hidden = false;
    el.leaveMessage.textContent = gettext("Leave a message instead");
  }

  function showEmailReplyForm() {
    el.noAgentChoices.hidden = true;
    el.keptWaiting.hidden = true;
    el.emailReplyForm.hidden = false;
    if (!el.replyEmail.value && el.email.value) el.replyEmail.value = el.email.value;
    el.replyEmail.focus();
  }

  function emailReplyError(text) {
    el.replyEmailError.textContent = text;
    el.replyEmailError.hidden = !text;
    el.replyEmail.setAttribute("aria-invalid", text ? "true" : "false");
  }

  function submitEmailReply() {
    var email = el.replyEmail.value.trim();
    if (!email || !el.replyEmail.checkValidity()) {
      emailReplyError(gettext("Enter a valid email address, like name@example.com."));
      el.replyEmail.focus();
      return;
    }
    emailReplyError("");
    if (!send({ type: "email_reply", email: email })) {
      emailReplyError(gettext("You're offline; send it again once the connection is back."));
    }
  }

  // The page says what was agreed: the choices and the form make way for it.
  function emailReplyConfirmed(email, moveFocus) {
    state.emailReply = true;
    el.noAgentChoices.hidden = true;
    el.keptWaiting.hidden = true;
    el.emailReplyForm.hidden = true;
    el.noAgentTitle.hidden = true;
    // A status frame says only that an address was left; the reply to the form names it.
    if (email) state.replyEmailAddress = email;
    var text = state.replyEmailAddress
      ? format(gettext("Thanks! We'll answer you at %(email)s."), {
          email: state.replyEmailAddress,
        })
      : gettext("Thanks! We'll answer you by email.");
    setText(
      el.emailReplyDone,
      text + " " + gettext("Your place in the queue is kept, so you can close this page.")
    );
    el.emailReplyDone.hidden = false;
    el.noAgent.hidden = false;
    if (moveFocus) el.emailReplyDone.focus();
  }

  // --- Agent typing ----------------------------------------------------------------------

  function showTyping() {
    el.typing.textContent = state.agentName
      ? format(gettext("%(name)s is typing…"), { name: state.agentName })
      : gettext("The agent is typing…");
    el.typing.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(hideTyping, TYPING_SHOWN_MS);
  }

  function hideTyping() {
    clearTimeout(state.typingTimer);
    el.typing.hidden = true;
  }

  // --- Sending, paced under the server's rate limit --------------------------------------

  function send(frame) {
    if (!state.open) return false; // everything unsent is resent from state on reconnect
    state.sendQueue.push(JSON.stringify(frame));
    pump();
    return true;
  }

  function pump() {
    clearTimeout(state.pumpTimer);
    while (state.sendQueue.length && state.open) {
      var now = Date.now();
      state.sendTimes = state.sendTimes.filter(function (t) { return now - t < 1000; });
      if (state.sendTimes.length >= FRAMES_PER_SECOND) {
        state.pumpTimer = setTimeout(pump, 1000 - (now - state.sendTimes[0]) + 10);
        return;
      }
      state.sendTimes.push(now);
      state.socket.send(state.sendQueue.shift());
    }
  }

  function flushOutbox() {
    state.outbox.forEach(function (entry) {
      send({ type: "message", client_id: entry.client_id, body: entry.body });
      var item = pendingItem(entry.client_id);
      if (item) setDelivery(item, gettext("Sending…"));
    });
  }

  // --- The conversation and its socket ---------------------------------------------------

  function createConversation() {
    if (state.creating) return state.creating;
    var payload = { language: root.dataset.language || "en" };
    if (el.name.value.trim()) payload.name = el.name.value.trim();
    if (el.email.value.trim() && el.email.checkValidity()) payload.email = el.email.value.trim();
    setConnection("connecting", gettext("Connecting…"));
    state.creating = fetch(root.dataset.conversationsUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      credentials: "omit",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (conversation) {
        state.creating = null;
        adopt(conversation.token);
        connect();
      })
      .catch(function () {
        state.creating = null;
        setConnection("offline", gettext("We couldn't reach Humanline. Trying again…"));
        scheduleReconnect();
      });
    return state.creating;
  }

  function adopt(token) {
    state.token = token;
    state.status = null;
    save();
    el.aboutYou.hidden = true;
  }

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + "/ws/chat/" + encodeURIComponent(state.token) + "/";
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    if (!state.token) {
      if (state.outbox.length || state.wantsPerson) createConversation();
      return;
    }
    if (state.socket) return;
    setConnection(state.attempts ? "reconnecting" : "connecting", state.attempts ? gettext("Reconnecting…") : gettext("Connecting…"));
    var socket;
    try {
      socket = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    socket.onopen = function () {
      state.open = true;
      state.attempts = 0;
      setConnection("online", gettext("Connected"));
      send({ type: "resume", after_seq: state.lastSeq });
      flushOutbox();
      if (state.wantsPerson) send({ type: "request_human" });
      resendFeedback();
      startHeartbeat();
    };
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      receive(frame);
    };
    socket.onclose = function (event) {
      dropSocket();
      if (event.code === 4404) {
        forgetConversation();
        showNotice(gettext("That conversation is no longer available. Your next message starts a new one."));
        return;
      }
      scheduleReconnect();
    };
  }

  function dropSocket() {
    var socket = state.socket;
    state.socket = null;
    state.open = false;
    state.sendQueue = [];
    stopHeartbeat();
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      try {
        socket.close();
      } catch (e) {
        /* already closed */
      }
    }
    el.messages.querySelectorAll(".message--pending").forEach(function (item) {
      setDelivery(item, gettext("Waiting for the connection…"));
    });
  }

  function scheduleReconnect() {
    clearTimeout(state.reconnectTimer);
    var delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * Math.pow(2, state.attempts));
    delay = delay / 2 + Math.random() * (delay / 2); // jitter: not every tab at once
    state.attempts += 1;
    if (navigator.onLine === false) {
      setConnection("offline", gettext("You're offline. Messages you type will be sent when you're back."));
    } else {
      setConnection("reconnecting", gettext("Connection lost. Reconnecting…"));
    }
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function startHeartbeat() {
    stopHeartbeat();
    state.heartbeatTimer = setInterval(function () {
      if (!send({ type: "heartbeat" })) return;
      clearTimeout(state.heartbeatWatchdog);
      // No answer means a half-open socket the browser has not noticed: start over.
      state.heartbeatWatchdog = setTimeout(function () {
        dropSocket();
        scheduleReconnect();
      }, HEARTBEAT_TIMEOUT_MS);
    }, HEARTBEAT_MS);
  }

  function stopHeartbeat() {
    clearInterval(state.heartbeatTimer);
    clearTimeout(state.heartbeatWatchdog);
  }

  var ERROR_TEXT = {
    body_too_long: gettext("That message is too long: 4,000 characters at most."),
    rate_limited: gettext("You're sending messages very fast; we'll retry in a moment."),
    already_rated: gettext("You have already rated this conversation. Thank you!"),
    already_confirmed: gettext("Thank you: this conversation is already marked as solved."),
    reopen_window_closed:
      gettext("This conversation can no longer be reopened; start a new one and a person will help."),
    not_resolved: gettext("You can rate the conversation once it is resolved."),
    not_an_answer: gettext("We couldn't take your answer about that message."),
  };

  function receive(frame) {
    switch (frame.type) {
      case "status":
        applyStatus(frame);
        healGap(frame.last_seq);
        break;
      case "message":
        showMessage(frame);
        break;
      case "ack":
        state.unavailableRetries = 0;
        acknowledged(frame.client_id, frame.seq);
        break;
      case "typing":
        showTyping();
        break;
      case "feedback.ok":
        feedbackAcknowledged(frame);
        break;
      case "email_reply.ok":
        emailReplyConfirmed(frame.email, true);
        break;
      case "confirm.ok":
        confirmAcknowledged(frame.solved);
        break;
      case "rate.ok":
        ratingDone(
          format(gettext("Thank you for rating this conversation %(score)s out of 5."), {
            score: frame.score,
          })
        );
        break;
      case "heartbeat.ok":
        clearTimeout(state.heartbeatWatchdog);
        healGap(frame.last_seq);
        break;
      case "error":
        receiveError(frame);
        break;
    }
  }

  // The server says how far the conversation goes: a push lost on a live socket shows as a
  // gap, fetched without reconnecting.
  function healGap(serverSeq) {
    if (typeof serverSeq === "number" && serverSeq > state.lastSeq) {
      send({ type: "resume", after_seq: state.lastSeq });
    }
  }

  function retryUnavailable(frame) {
    // Nothing was changed: the same frame is sent again shortly (messages keep their
    // client_id, so a resend is stored once), the wait growing while the outage lasts.
    var delay = Math.min(RECONNECT_MAX_MS, 1000 * Math.pow(2, state.unavailableRetries || 0));
    state.unavailableRetries = (state.unavailableRetries || 0) + 1;
    clearTimeout(state.unavailableTimer);
    state.unavailableTimer = setTimeout(function () {
      if (frame.frame === "request_human" && state.wantsPerson) send({ type: "request_human" });
      if (frame.frame === "feedback") resendFeedback();
      if (frame.frame === "confirm" && state.confirmSent !== null) sendConfirm(state.confirmSent);
      flushOutbox();
    }, delay);
  }

  function receiveError(frame) {
    if (frame.code === "invalid_email") {
      emailReplyError(gettext("Enter a valid email address, like name@example.com."));
      el.replyEmail.focus();
      return;
    }
    if (frame.frame === "email_reply") {
      // Not retried by itself: the address stays in the form for the customer to send again.
      emailReplyError(gettext("We couldn't send that just now. Please try again in a moment."));
      return;
    }
    if (typeof frame.seq === "number" && frame.code !== "unavailable") {
      feedbackRefused(frame); // the answer shows it was given already: no notice needed
      if (frame.code === "feedback_given") return;
    }
    if (frame.code === "unavailable") {
      retryUnavailable(frame);
      showNotice(
        frame.frame === "request_human"
          ? gettext("We couldn't reach our team just now. Trying again…")
          : gettext("We couldn't send that just now. Trying again…")
      );
      return;
    }
    if (frame.code === "conversation_closed") {
      // Nothing more can be posted here; say so on each message that did not make it.
      state.outbox.forEach(function (entry) {
        var item = pendingItem(entry.client_id);
        if (item) setDelivery(item, gettext("Not sent: this conversation is closed."));
      });
      state.outbox = [];
      save();
    } else if (frame.code === "already_confirmed" || frame.code === "reopen_window_closed") {
      state.confirmSent = null;
      confirmDone(ERROR_TEXT[frame.code]);
      return;
    } else if (frame.code === "already_rated") {
      ratingDone(ERROR_TEXT.already_rated);
      return;
    } else if (frame.code === "rate_limited") {
      setTimeout(flushOutbox, 1000); // resends keep their client_id: stored once
    }
    showNotice(ERROR_TEXT[frame.code] || frame.detail || gettext("Something went wrong."));
  }

  function confirmDone(text) {
    state.confirmAsked = false;
    el.confirm.hidden = true;
    el.talk.hidden = false;
    el.confirmDone.textContent = text;
    el.confirmDone.hidden = false;
    if (isClosed()) {
      el.composer.hidden = true;
      el.input.disabled = true;
    }
    el.confirmDone.focus();
  }

  function confirmAcknowledged(solved) {
    state.confirmSent = null;
    if (solved) {
      confirmDone(gettext("Thank you! We're glad that solved it."));
    } else {
      // The status that follows says where the customer is in the queue.
      confirmDone(gettext("Sorry it's not solved yet. You're back at the front of the queue."));
    }
  }

  function sendConfirm(solved) {
    state.confirmSent = solved;
    el.confirmYes.disabled = el.confirmNo.disabled = true;
    if (!send({ type: "confirm", solved: solved })) {
      state.confirmSent = null;
      el.confirmYes.disabled = el.confirmNo.disabled = false;
      showNotice(gettext("You're offline; answer again once the connection is back."));
    }
  }

  function ratingDone(text) {
    el.ratingForm.hidden = true;
    el.ratingDone.textContent = text;
    el.ratingDone.hidden = false;
    el.ratingDone.focus();
  }

  function forgetConversation() {
    dropSocket();
    clearTimeout(state.reconnectTimer);
    state.token = null;
    state.status = null;
    state.agentName = "";
    state.seen = {};
    state.lastSeq = 0;
    state.attempts = 0;
    state.outbox = [];
    state.wantsPerson = false;
    state.feedbackSent = {};
    state.emailReply = false;
    state.replyEmailAddress = "";
    state.confirmAsked = false;
    state.confirmSent = null;
    save();
    el.messages.textContent = "";
    resetNoAgent();
    el.aboutYou.hidden = false;
    el.wrapUp.hidden = true;
    el.ratingForm.hidden = false;
    el.ratingForm.reset();
    el.ratingDone.hidden = true;
    el.confirm.hidden = true;
    el.confirmDone.hidden = true;
    el.queue.hidden = true;
    el.composer.hidden = false;
    el.input.disabled = false;
    el.talk.setAttribute("aria-disabled", "false");
    setText(el.talk, TALK);
    hideTyping();
    showNotice("");
    setConnection("idle", "");
    setText(el.status, gettext("Our assistant answers right away, and a person is one click away."));
  }

  // --- What the customer does ------------------------------------------------------------

  function isClosed() {
    return state.status === "resolved" || state.status === "abandoned";
  }

  function submitMessage() {
    var body = el.input.value;
    if (!body.trim()) return;
    // Within the reopen window the message reopens this conversation (the server decides).
    if (isClosed() && !state.confirmAsked) forgetConversation();
    var entry = { client_id: newClientId(), body: body };
    state.outbox.push(entry);
    save();
    el.input.value = "";
    showNotice("");
    showPending(entry);
    if (state.open) {
      send({ type: "message", client_id: entry.client_id, body: entry.body });
    } else {
      connect();
    }
  }

  function talkToPerson() {
    if (state.status === "queued") {
      showNotice(gettext("You're already in the queue: a person will join you right here."));
      return;
    }
    if (state.status === "assigned") {
      showNotice(
        state.agentName
          ? format(gettext("You're already talking to %(name)s."), { name: state.agentName })
          : gettext("You're already talking to a person.")
      );
      return;
    }
    if (isClosed()) forgetConversation();
    state.wantsPerson = true;
    save();
    setText(el.status, gettext("Connecting you with a person…"));
    if (state.open) {
      send({ type: "request_human" });
    } else {
      connect();
    }
  }

  el.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    submitMessage();
    el.input.focus();
  });

  el.input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitMessage();
    }
  });

  el.input.addEventListener("input", function () {
    var now = Date.now();
    if (state.status === "assigned" && now - state.lastTypingSent > TYPING_SEND_EVERY_MS) {
      if (send({ type: "typing" })) state.lastTypingSent = now;
    }
  });

  el.talk.addEventListener("click", talkToPerson);

  function resetNoAgent() {
    el.noAgent.hidden = true;
    el.noAgentChoices.hidden = false;
    el.keepWaiting.hidden = false;
    el.keptWaiting.hidden = true;
    el.leaveMessage.textContent = gettext("Leave a message");
    el.emailReplyForm.hidden = true;
    el.emailReplyForm.reset();
    emailReplyError("");
    el.emailReplyDone.hidden = true;
    el.noAgentTitle.hidden = false;
  }

  el.keepWaiting.addEventListener("click", keepWaiting);
  el.leaveMessage.addEventListener("click", showEmailReplyForm);
  el.emailReplyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    submitEmailReply();
  });

  el.ratingForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var chosen = el.ratingForm.querySelector('input[name="score"]:checked');
    if (!chosen) {
      showNotice(gettext("Choose a score from 1 to 5 first."));
      return;
    }
    showNotice("");
    var comment = document.getElementById("rating-comment").value;
    if (!send({ type: "rate", score: Number(chosen.value), comment: comment })) {
      showNotice(gettext("You're offline; send the rating again once the connection is back."));
    }
  });

  el.confirmYes.addEventListener("click", function () {
    showNotice("");
    sendConfirm(true);
  });
  el.confirmNo.addEventListener("click", function () {
    showNotice("");
    sendConfirm(false);
  });

  el.newConversation.addEventListener("click", function () {
    forgetConversation();
    el.input.focus();
  });

  window.addEventListener("online", function () {
    if (!state.open) {
      state.attempts = 0;
      connect();
    }
  });
  window.addEventListener("offline", function () {
    // Sockets can take a long time to notice; start the reconnect loop at once.
    if (state.socket) {
      dropSocket();
      scheduleReconnect();
    }
  });

  // --- Start -----------------------------------------------------------------------------

  (function start() {
    var stored = readStore();
    var params = new URLSearchParams(window.location.search);
    var handedOver = params.get("c");
    if (handedOver) {
      // A conversation handed over from elsewhere (the escalations API's chat_url). The
      // token is a credential: keep it out of the address bar, history and screenshots.
      stored = { token: handedOver, outbox: [], wantsPerson: false };
      params.delete("c");
      var query = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    }
    state.token = stored.token || null;
    state.outbox = Array.isArray(stored.outbox) ? stored.outbox : [];
    state.wantsPerson = Boolean(stored.wantsPerson);
    save();
    if (state.token) {
      el.aboutYou.hidden = true;
      state.outbox.forEach(showPending);
      connect();
    }
  })();
})();

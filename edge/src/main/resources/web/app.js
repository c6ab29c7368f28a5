// Universal AI Tools — the web chat client. Plain JavaScript, no build step.
// REST through the edge (/api/...), events over the realtime WebSocket (/ws): streamed tokens
// (message.delta), final messages (message.created), recovery after a dropped connection.
// Protocol: docs/realtime.md.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const SESSION_KEY = 'uat.session';

  const state = {
    session: null, // {access_token, refresh_token, user}
    config: { observatory_url: '' },
    conversations: [],
    current: null, // conversation id
    rendered: new Map(), // message id -> <li>
    positions: new Map(), // channel -> {offset, epoch}: the last event seen
    socket: null,
    socketReady: false,
    attempt: 0,
    reconnectTimer: null,
    holdReconnectUntil: 0,
    sending: false,
  };

  // ------------------------------------------------------------------ REST

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function request(method, path, body, retried) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (state.session) headers.Authorization = 'Bearer ' + state.session.access_token;
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && state.session && !retried && !path.startsWith('/api/auth/')) {
      if (await refresh()) return request(method, path, body, true);
      logout('Your session has ended; please log in again.');
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const e = (json && json.error) || {};
      throw new ApiError(response.status, e.code || 'error', e.message || response.statusText);
    }
    return json;
  }

  async function refresh() {
    if (!state.session || !state.session.refresh_token) return false;
    try {
      const tokens = await request('POST', '/api/auth/refresh', {
        refresh_token: state.session.refresh_token,
      });
      saveSession({ ...state.session, ...tokens });
      return true;
    } catch (e) {
      return false;
    }
  }

  function saveSession(session) {
    state.session = session;
    try {
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    } catch (e) {
      // private mode: the session lasts as long as the page
    }
  }

  // ------------------------------------------------------------------ auth

  async function authenticate(kind) {
    const email = $('email').value.trim();
    const password = $('password').value;
    $('auth-error').textContent = '';
    if (!email || !password) {
      $('auth-error').textContent = 'Enter your email and a password.';
      return;
    }
    setBusy(true);
    try {
      const tokens = await request('POST', '/api/auth/' + kind, { email, password });
      saveSession(tokens);
      $('password').value = '';
      await enterChat();
    } catch (e) {
      $('auth-error').textContent = e.message;
    } finally {
      setBusy(false);
    }
  }

  function setBusy(busy) {
    for (const id of ['login', 'register']) $(id).disabled = busy;
  }

  function logout(message) {
    try {
      sessionStorage.removeItem(SESSION_KEY);
    } catch (e) {
      // ignore
    }
    state.session = null;
    closeSocket();
    state.current = null;
    state.positions.clear();
    state.rendered.clear();
    $('messages').replaceChildren();
    $('conversations').replaceChildren();
    $('chat').hidden = true;
    $('logout').hidden = true;
    $('auth').hidden = false;
    $('auth-error').textContent = message || '';
    setStatus('');
    $('email').focus();
  }

  async function enterChat() {
    $('auth').hidden = true;
    $('chat').hidden = false;
    $('logout').hidden = false;
    connect();
    await loadConversations();
    $('message').focus();
  }

  // ------------------------------------------------------------------ conversations

  async function loadConversations() {
    try {
      const list = await request('GET', '/api/conversations');
      state.conversations = list.data || [];
      renderConversations();
    } catch (e) {
      showError(e);
    }
  }

  function renderConversations() {
    const ul = $('conversations');
    ul.replaceChildren();
    for (const c of state.conversations) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = c.title || 'Untitled';
      b.dataset.id = c.id;
      if (c.id === state.current) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => openConversation(c.id));
      li.append(b);
      ul.append(li);
    }
  }

  async function openConversation(id) {
    if (state.current && state.current !== id) unsubscribe('conversation:' + state.current);
    state.current = id;
    renderConversations();
    await reloadConversation();
    subscribe('conversation:' + id);
  }

  async function reloadConversation() {
    const id = state.current;
    if (!id) return;
    try {
      const conversation = await request('GET', '/api/conversations/' + encodeURIComponent(id));
      if (state.current !== id) return;
      $('conversation-title').textContent = conversation.title || 'Conversation';
      $('messages').replaceChildren();
      state.rendered.clear();
      if (conversation.next_cursor) {
        $('messages').append(earlierMessages(id, conversation.next_cursor));
      }
      for (const m of conversation.messages || []) renderMessage(m);
      scrollToEnd();
    } catch (e) {
      showError(e);
    }
  }

  // A conversation is read in pages, newest first: this item fetches the page before the ones
  // shown and puts it above them, until there is none left.
  function earlierMessages(id, cursor) {
    const li = document.createElement('li');
    li.className = 'earlier';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Show earlier messages';
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const page = await request(
          'GET',
          '/api/conversations/' + encodeURIComponent(id) + '?cursor=' + encodeURIComponent(cursor)
        );
        if (state.current !== id) return;
        const first = li.nextSibling;
        for (const m of page.messages || []) {
          if (state.rendered.has(m.id)) continue;
          $('messages').insertBefore(renderMessage(m), first);
        }
        if (page.next_cursor) {
          cursor = page.next_cursor;
          button.disabled = false;
        } else {
          li.remove();
        }
      } catch (e) {
        button.disabled = false;
        showError(e);
      }
    });
    li.append(button);
    return li;
  }

  function newChat() {
    if (state.current) unsubscribe('conversation:' + state.current);
    state.current = null;
    state.rendered.clear();
    $('messages').replaceChildren();
    $('conversation-title').textContent = 'New chat';
    renderConversations();
    $('message').focus();
  }

  // ------------------------------------------------------------------ messages

  function messageItem(id, role) {
    let li = state.rendered.get(id);
    if (li) return li;
    li = document.createElement('li');
    li.className = 'msg ' + role;
    li.dataset.id = id;
    const who = document.createElement('div');
    who.className = 'role';
    who.textContent = role === 'user' ? 'You' : role === 'assistant' ? 'Assistant' : role;
    const content = document.createElement('div');
    content.className = 'content';
    const meta = document.createElement('div');
    meta.className = 'meta';
    li.append(who, content, meta);
    $('messages').append(li);
    state.rendered.set(id, li);
    return li;
  }

  function renderMessage(m) {
    const li = messageItem(m.id, m.role);
    li.classList.remove('streaming');
    li.removeAttribute('aria-busy');
    li.querySelector('.content').textContent = m.content;
    const meta = li.querySelector('.meta');
    meta.replaceChildren();
    if (m.truncated) {
      meta.append('shortened here: ' + m.content_chars + ' characters in all');
      if (m.role === 'assistant') meta.append(' · ');
    }
    if (m.role === 'assistant') {
      const parts = [];
      if (m.model) parts.push(m.model);
      if (m.output_tokens != null) parts.push(m.output_tokens + ' tokens');
      meta.append(parts.join(' · '));
      if (m.trace_id && state.config.observatory_url) {
        if (parts.length) meta.append(' · ');
        const a = document.createElement('a');
        a.className = 'trace';
        a.href = state.config.observatory_url + '/trace/' + encodeURIComponent(m.trace_id);
        a.target = '_blank';
        a.rel = 'noopener';
        a.textContent = 'trace';
        a.setAttribute('aria-label', 'Open the trace of this answer in the observatory');
        meta.append(a);
      }
    }
    return li;
  }

  function renderDelta(data) {
    const li = messageItem(data.message_id, 'assistant');
    if (!li.classList.contains('streaming') && li.querySelector('.meta').childNodes.length) {
      return; // the final message is there already
    }
    li.classList.add('streaming');
    li.setAttribute('aria-busy', 'true');
    li.querySelector('.content').append(data.delta);
    scrollToEnd();
  }

  function scrollToEnd() {
    const ol = $('messages');
    ol.scrollTop = ol.scrollHeight;
  }

  async function send() {
    const box = $('message');
    const text = box.value.trim();
    if (!text || state.sending) return;
    state.sending = true;
    $('send').disabled = true;
    $('chat-error').textContent = '';
    try {
      if (!state.current) {
        // create it first and subscribe, so that its first answer streams too
        const created = await request('POST', '/api/conversations', { title: text.slice(0, 60) });
        state.conversations.unshift(created);
        await openConversation(created.id);
        await subscribed('conversation:' + created.id);
      }
      box.value = '';
      const conversationId = state.current;
      const answer = await request('POST', '/api/chat', {
        conversation_id: conversationId,
        message: text,
      });
      if (state.current === conversationId) {
        renderMessage(answer.message);
        const mine = [...state.rendered.values()].some(
          (li) => li.classList.contains('user') && li.querySelector('.content').textContent === text,
        );
        if (!mine) await reloadConversation(); // the events did not come: read it back
        scrollToEnd();
      }
    } catch (e) {
      showError(e);
      if (!box.value) box.value = text;
    } finally {
      state.sending = false;
      $('send').disabled = false;
      box.focus();
    }
  }

  function showError(e) {
    $('chat-error').textContent = e && e.message ? e.message : String(e);
  }

  // ------------------------------------------------------------------ realtime

  const waiting = new Map(); // channel -> resolve, for subscribed()

  function subscribed(channel) {
    return new Promise((resolve) => {
      waiting.set(channel, resolve);
      setTimeout(() => {
        if (waiting.get(channel) === resolve) {
          waiting.delete(channel);
          resolve(false);
        }
      }, 3000);
    });
  }

  function setStatus(text, offline) {
    const s = $('status');
    s.textContent = text;
    s.classList.toggle('offline', !!offline);
  }

  function connect() {
    if (!state.session || state.socket) return;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    const ws = new WebSocket(url);
    state.socket = ws;
    state.socketReady = false;
    setStatus(state.attempt ? 'Reconnecting…' : 'Connecting…');
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'connect', token: state.session.access_token, ack: true }));
    };
    ws.onmessage = (m) => {
      let frame;
      try {
        frame = JSON.parse(m.data);
      } catch (e) {
        return;
      }
      onFrame(ws, frame);
    };
    ws.onclose = (e) => {
      if (state.socket !== ws) return;
      state.socket = null;
      state.socketReady = false;
      if (!state.session) return;
      if (e.code === 4003) {
        // the session was ended (logout elsewhere, password change, token reuse): no way back
        logout('Your session was ended. Please log in again.');
        return;
      }
      if (e.code === 4001) {
        refresh().then((ok) => (ok ? reconnectLater() : logout('Please log in again.')));
        return;
      }
      setStatus('Offline — reconnecting…', true);
      reconnectLater();
    };
  }

  function reconnectLater() {
    clearTimeout(state.reconnectTimer);
    const backoff = Math.min(15000, 500 * 2 ** state.attempt) * (0.75 + Math.random() / 2);
    const hold = Math.max(0, state.holdReconnectUntil - Date.now());
    state.attempt++;
    state.reconnectTimer = setTimeout(connect, Math.max(backoff, hold));
  }

  function closeSocket() {
    clearTimeout(state.reconnectTimer);
    const ws = state.socket;
    state.socket = null;
    if (ws) ws.close(1000, 'bye');
  }

  function sendFrame(frame) {
    if (state.socket && state.socketReady) state.socket.send(JSON.stringify(frame));
  }

  function subscribe(channel) {
    const frame = { type: 'subscribe', channel };
    const pos = state.positions.get(channel);
    if (pos) frame.since = pos;
    sendFrame(frame);
  }

  function unsubscribe(channel) {
    sendFrame({ type: 'unsubscribe', channel });
  }

  function onFrame(ws, frame) {
    switch (frame.type) {
      case 'connected':
        state.socketReady = true;
        state.attempt = 0;
        setStatus('Live');
        if (frame.channel) remember(frame.channel, frame.offset, frame.epoch, false);
        if (state.current) subscribe('conversation:' + state.current);
        break;
      case 'subscribed': {
        const channel = frame.channel;
        if (frame.recovered === false) {
          // too much was missed: read the conversation back from the api
          state.positions.set(channel, { offset: frame.offset, epoch: frame.epoch });
          if (channel === 'conversation:' + state.current) reloadConversation();
        } else if (frame.recovered !== true) {
          remember(channel, frame.offset, frame.epoch, false);
        }
        const resolve = waiting.get(channel);
        if (resolve) {
          waiting.delete(channel);
          resolve(true);
        }
        break;
      }
      case 'event':
        onEvent(frame);
        break;
      case 'ping':
        ws.send('{"type":"pong"}');
        break;
      case 'error':
        if (frame.code === 'unauthenticated') {
          refresh();
        } else if (frame.code !== 'rate_limited') {
          setStatus('Realtime: ' + frame.message, true);
        }
        break;
      default:
        break;
    }
  }

  /** Keeps the newest position of a channel; false when the event was seen already. */
  function remember(channel, offset, epoch, isEvent) {
    const pos = state.positions.get(channel);
    if (isEvent && pos && pos.epoch === epoch && offset <= pos.offset) return false;
    if (!pos || pos.epoch !== epoch || offset > pos.offset || !isEvent) {
      state.positions.set(channel, { offset, epoch });
    }
    return true;
  }

  function onEvent(frame) {
    // offset 0: published while the hub's Redis was away, in no history: shown, not remembered
    const numbered = frame.offset > 0;
    if (numbered && !remember(frame.channel, frame.offset, frame.epoch, true)) return;
    const forCurrent = frame.channel === 'conversation:' + state.current;
    if (forCurrent && frame.event === 'message.delta') {
      renderDelta(frame.data);
    } else if (forCurrent && frame.event === 'message.created') {
      renderMessage(frame.data.message);
      scrollToEnd();
    }
    // acknowledged after it is on screen: the hub records when it reached this browser
    if (numbered) sendFrame({ type: 'ack', channel: frame.channel, offset: frame.offset });
  }

  // ------------------------------------------------------------------ start

  async function start() {
    try {
      const config = await fetch('/ui-config.json').then((r) => r.json());
      state.config = config || state.config;
    } catch (e) {
      // links to traces are left out
    }
    $('auth-form').addEventListener('submit', (e) => {
      e.preventDefault();
      authenticate('login');
    });
    $('register').addEventListener('click', () => authenticate('register'));
    $('logout').addEventListener('click', () => logout(''));
    $('new-chat').addEventListener('click', newChat);
    $('composer').addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    $('message').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send();
      }
    });
    window.addEventListener('online', () => {
      if (!state.socket && state.session) {
        clearTimeout(state.reconnectTimer);
        connect();
      }
    });
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    } catch (e) {
      saved = null;
    }
    if (saved && saved.access_token) {
      state.session = saved;
      await enterChat();
    } else {
      $('email').focus();
    }
    document.body.dataset.ready = 'true';
  }

  // for tests and for the curious: drop the connection as a network failure would, and stay
  // offline for holdMs before reconnecting
  window.uat = {
    drop(holdMs) {
      state.holdReconnectUntil = Date.now() + (holdMs || 0);
      if (state.socket) state.socket.close(4000, 'dropped');
    },
    state: () => ({
      connected: state.socketReady,
      current: state.current,
      positions: Object.fromEntries(state.positions),
    }),
  };

  start();
})();

-- mod_xmppauth_compat: lets Prosody 0.12.3 run the Feb 2023 community modules
-- mod_sasl2, mod_sasl2_bind2, mod_sasl2_fast and mod_sasl2_sm.
--
-- Those modules were written against Prosody trunk of early 2023. On 0.12.3
-- they load, then fail at login because a handful of small APIs they call are
-- missing or behave differently. This plugin fills exactly those gaps and
-- nothing else: SCRAM, HT-*, the token store, Bind2 and stream management all
-- stay Prosody's own code. The numbered gaps are those listed in the shared
-- interop notes:
--
--   1. connection methods ssl_info / ssl_peerfinished / ssl_exportkeyingmaterial
--   2. event.stream (the client's stream header) in "stream-features"
--   3. stanza:get_child_attr() and stanza:add_error()
--   4. util.datetime raising on fractional timestamps under Lua 5.4
--   5. mod_smacks do_enable / do_resume
--   6. mod_saslauth overwriting the SASL handler that mod_sasl2 built
--   7. SCRAM-*-PLUS only registered for tls-unique; no XEP-0440 advertisement
--
-- Load order does not matter: every shim takes effect when it is called, not
-- when the other modules load, and the stream-features hooks below use
-- explicit priorities around mod_sasl2 (1) and mod_saslauth (0).
--
-- Enable it next to the community modules, with this folder in plugin_paths:
--   modules_enabled = { "xmppauth_compat", "sasl2", "sasl2_bind2", ... }

local st = require "util.stanza";
local errors = require "util.error";
local filters = require "util.filters";
local sasl = require "util.sasl";
local datetime = require "util.datetime";

local m_floor = math.floor;

local xmlns_sasl_cb = "urn:xmpp:sasl-cb:0";
local xmlns_stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";

-- Priorities of the "stream-features" handlers we wrap around.
-- mod_sasl2 builds <authentication> at priority 1, mod_saslauth builds the
-- legacy <mechanisms> at the default priority 0.
local PRIO_BEFORE_SASL2 = 10;
local PRIO_BETWEEN_SASL2_AND_SASLAUTH = 0.5;
local PRIO_AFTER_SASLAUTH = -1;

----------------------------------------------------------------------------
-- 1. TLS details on the connection object
--
-- mod_sasl2 asks the connection (net.server's wrapper) for ssl_info(),
-- ssl_peerfinished() and ssl_exportkeyingmaterial(). 0.12.3's wrapper has
-- none of them, so mod_sasl2 errors out before it appends <authentication>
-- and SASL2 is never offered. The LuaSec socket underneath has the real
-- functions (info, getpeerfinished, exportkeyingmaterial); these shims
-- forward to it. They are set on each connection object, only when missing,
-- so a newer net.server keeps its own implementation.
----------------------------------------------------------------------------

local function tls_socket(conn)
	local sock = conn.socket and conn:socket();
	if type(sock) == "userdata" or type(sock) == "table" then
		return sock;
	end
end

local function conn_ssl_info(conn)
	local sock = tls_socket(conn);
	if sock and sock.info then
		return sock:info();
	end
end

local function conn_ssl_peerfinished(conn)
	local sock = tls_socket(conn);
	if sock and sock.getpeerfinished then
		return sock:getpeerfinished();
	end
end

local function conn_ssl_exportkeyingmaterial(conn, label, len, context)
	local sock = tls_socket(conn);
	if sock and sock.exportkeyingmaterial then
		return sock:exportkeyingmaterial(label, len, context);
	end
end

local function add_tls_methods(conn)
	if not conn then return end
	if conn.ssl_info == nil then conn.ssl_info = conn_ssl_info; end
	if conn.ssl_peerfinished == nil then conn.ssl_peerfinished = conn_ssl_peerfinished; end
	if conn.ssl_exportkeyingmaterial == nil then
		-- Only offer exporting when LuaSec can do it, so that mod_sasl2's
		-- "if not conn.ssl_exportkeyingmaterial" test stays meaningful.
		local sock = tls_socket(conn);
		if sock and sock.exportkeyingmaterial then
			conn.ssl_exportkeyingmaterial = conn_ssl_exportkeyingmaterial;
		end
	end
end

----------------------------------------------------------------------------
-- 2. event.stream in "stream-features"
--
-- mod_sasl2_fast offers FAST for the account named in the client's stream
-- header (<stream:stream from='alice@localhost'>) and reads it as
-- event.stream.from. 0.12.3's mod_c2s fires "stream-features" without a
-- stream field, so the lookup raises and the features are never sent.
--
-- mod_c2s answers every client stream header with
-- session:open_stream(host, attr.from), and util.xmppstream's open_stream
-- passes the client's 'from' as 'to' to session:stream_attrs() when a session
-- has one. We give every new c2s session such a callback (through a filter
-- hook, which runs for each new session) and remember the value.
----------------------------------------------------------------------------

local function record_stream_from(session, from, to, attr) -- luacheck: ignore 212/from 212/attr
	session.xmppauth_stream_from = to;
end

local function on_new_session(session)
	if session.base_type == "c2s" and session.stream_attrs == nil then
		session.stream_attrs = record_stream_from;
	end
end

filters.add_filter_hook(on_new_session);

----------------------------------------------------------------------------
-- 3. stanza:get_child_attr() and stanza:add_error()
--
-- Both arrived in util.stanza after 0.12. mod_sasl2_fast reads the
-- user-agent id with get_child_attr(); mod_sasl2_bind2 and mod_sasl2_sm build
-- <failed/> replies with add_error(). These are the trunk definitions,
-- added to the shared stanza metatable only when absent.
----------------------------------------------------------------------------

local stanza_mt = st.stanza_mt;

if not stanza_mt.get_child_attr then
	function stanza_mt:get_child_attr(name, xmlns, attr)
		local tag = self:get_child(name, xmlns);
		if tag then
			return tag.attr[attr];
		end
		return nil;
	end
end

if not stanza_mt.add_error then
	-- Accepts (type, condition, text, by) or a util.error-like table, like
	-- st.error_reply() does, and appends an RFC 6120 <error/> child.
	function stanza_mt:add_error(error_type, condition, error_message, error_by)
		local extra;
		if type(error_type) == "table" then
			if type(error_type.extra) == "table" then
				extra = error_type.extra;
			end
			if type(error_type.context) == "table" and type(error_type.context.by) == "string" then
				error_by = error_type.context.by;
			end
			error_type, condition, error_message = error_type.type, error_type.condition, error_type.text;
		end
		if self.attr.from == error_by then
			error_by = nil;
		end
		self:tag("error", { type = error_type, by = error_by })
			:tag(condition or "undefined-condition", { xmlns = xmlns_stanzas });
		if extra and condition == "gone" and type(extra.uri) == "string" then
			self:text(extra.uri);
		end
		self:up();
		if error_message then
			self:text_tag("text", error_message, { xmlns = xmlns_stanzas });
		end
		if extra and st.is_stanza(extra.tag) then
			self:add_child(extra.tag);
		elseif extra and extra.namespace and extra.condition then
			self:tag(extra.condition, { xmlns = extra.namespace }):up();
		end
		return self:up();
	end
end

----------------------------------------------------------------------------
-- 4. util.datetime with fractional timestamps
--
-- mod_sasl2_fast computes token expiry from util.time.now(), which has a
-- fractional part. Under Lua 5.4, os.date() raises "number has no integer
-- representation" for such a value, so the handler that adds <token/> to
-- <success/> dies and the client never gets its token. Floor the argument
-- before formatting; the output format is unchanged.
----------------------------------------------------------------------------

for _, name in ipairs({ "date", "datetime", "time", "legacy" }) do
	local original = datetime[name];
	if type(original) == "function" then
		datetime[name] = function (t, ...)
			if type(t) == "number" then
				t = m_floor(t);
			end
			return original(t, ...);
		end
	end
end

----------------------------------------------------------------------------
-- 5. mod_smacks do_enable / do_resume
--
-- mod_sasl2_sm calls mod_smacks.do_enable(session, <enable/>) while Bind2
-- runs and expects a result it can inline into <bound/>:
--   { id = resumption id, resume_max = seconds, finish = function }
-- or nil plus a util.error. 0.12.3's mod_smacks only has handle_enable(),
-- which sends <enabled/> (or <failed/>) on the stream itself. We call it
-- with the session's send function briefly redirected, and turn the element
-- it would have sent into that result. Nothing else of 0.12.3's stream
-- management changes: queueing, acks and hibernation work as for a
-- non-inline <enable/>.
--
-- Resumption inside SASL2 needs the session swap that trunk's do_resume
-- performs before <success/> is sent; 0.12.3's handle_resume() sends its own
-- <resumed/> and replays the queue immediately, which cannot be inlined.
-- do_resume therefore reports a clean failure, so a client that asks for
-- inline resumption gets <failed/> in <success/> and continues with the
-- Bind2 request it sent alongside.
----------------------------------------------------------------------------

local mod_smacks = module:depends("smacks");

-- mod_smacks is a module environment, which warns on reads of undefined
-- globals; look its functions up with rawget.
local function smacks_fn(name)
	return mod_smacks and rawget(mod_smacks, name);
end

local function capture_sent(session, f, ...)
	local captured = {};
	local orig_send, orig_sends2s = session.send, session.sends2s;
	local function capture(stanza)
		captured[#captured + 1] = stanza;
		return true;
	end
	session.send = capture;
	if orig_sends2s then session.sends2s = capture; end
	local ok, ret = pcall(f, ...);
	session.send, session.sends2s = orig_send, orig_sends2s;
	if not ok then
		error(ret, 0);
	end
	return captured;
end

if mod_smacks and not smacks_fn("do_enable") and smacks_fn("handle_enable") then
	function mod_smacks.do_enable(session, stanza)
		local xmlns_sm = stanza.attr.xmlns;
		local sent = capture_sent(session, smacks_fn("handle_enable"), session, stanza, xmlns_sm);
		local reply = sent[1];
		if st.is_stanza(reply) and reply.name == "enabled" then
			return {
				type = "enabled";
				id = reply.attr.id;
				resume_max = reply.attr.max;
				-- 0.12.3 has already started counting and queueing inside
				-- handle_enable(); there is nothing left to do afterwards.
				finish = function () end;
			};
		end
		local condition = "undefined-condition";
		if st.is_stanza(reply) and reply.tags[1] then
			condition = reply.tags[1].name;
		end
		return nil, errors.new({
			type = "cancel";
			condition = condition;
			text = "Stream management could not be enabled";
		}, { session = session });
	end
end

if mod_smacks and not smacks_fn("do_resume") then
	function mod_smacks.do_resume(session, stanza) -- luacheck: ignore 212/stanza
		return nil, errors.new({
			type = "cancel";
			condition = "feature-not-implemented";
			text = "Inline resumption is not available on this server";
		}, { session = session });
	end
end

----------------------------------------------------------------------------
-- 7. SCRAM-*-PLUS with tls-exporter
--
-- 0.12.3's util.sasl.scram registers the -PLUS mechanisms as usable with
-- tls-unique only. Under TLS 1.3 mod_sasl2 installs a tls-exporter handler
-- instead (tls-unique is undefined there), so the handler offers no -PLUS
-- at all. Re-register the -PLUS variants through util.sasl's public
-- registerMechanism with tls-exporter added; the mechanism code is
-- 0.12.3's own SCRAM, which already checks any channel binding it is given.
----------------------------------------------------------------------------

local function register_scram_plus(extra_cb)
	require "util.sasl.scram".init(function (name, backends, f, cb_backends)
		if not cb_backends then return end -- leave the non-PLUS ones alone
		local cbs = {};
		for _, cb in ipairs(cb_backends) do cbs[#cbs + 1] = cb; end
		for _, cb in ipairs(extra_cb) do cbs[#cbs + 1] = cb; end
		sasl.registerMechanism(name, backends, f, cbs);
	end);
end

register_scram_plus({ "tls-exporter" });

----------------------------------------------------------------------------
-- Stream-features hooks: gaps 1, 2, 6 and the XEP-0440 part of 7
----------------------------------------------------------------------------

-- Before mod_sasl2: TLS methods on the connection (1) and event.stream (2).
module:hook("stream-features", function (event)
	local origin = event.origin;
	if origin.type ~= "c2s_unauthed" then return end
	add_tls_methods(origin.conn);
	if event.stream == nil then
		event.stream = { from = origin.xmppauth_stream_from, to = origin.host };
	end
end, PRIO_BEFORE_SASL2);

-- Between mod_sasl2 and mod_saslauth: remember the handler mod_sasl2 built
-- (6) and advertise the channel-binding types it actually has (7).
module:hook("stream-features", function (event)
	local origin, features = event.origin, event.features;
	if origin.type ~= "c2s_unauthed" then return end
	local handler = origin.sasl_handler;
	if not handler or not features:get_child("authentication", "urn:xmpp:sasl:2") then
		return;
	end
	origin.xmppauth_sasl2_handler = handler;

	-- XEP-0440: list the channel-binding types the SASL handler can compute
	-- on this connection (tls-exporter under TLS 1.3, tls-unique under 1.2).
	local cb = handler.profile and handler.profile.cb;
	if type(cb) == "table" and next(cb) ~= nil then
		local names = {};
		for name in pairs(cb) do names[#names + 1] = name; end
		table.sort(names);
		local cb_el = st.stanza("sasl-channel-binding", { xmlns = xmlns_sasl_cb });
		for _, name in ipairs(names) do
			cb_el:tag("channel-binding", { type = name }):up();
		end
		features:add_direct_child(cb_el);
	end
end, PRIO_BETWEEN_SASL2_AND_SASLAUTH);

-- After mod_saslauth: put mod_sasl2's handler back (6).
--
-- mod_saslauth builds a fresh handler for the legacy <mechanisms/> and stores
-- it in the same session.sasl_handler field, replacing the one mod_sasl2
-- prepared (which carries the tls-exporter callback and the connection as
-- userdata). mod_sasl2 and mod_sasl2_fast then authenticate with the legacy
-- handler and HT-SHA-256-EXPR / SCRAM-*-PLUS fail. The legacy list has
-- already been written at this point, so restoring only affects which
-- handler processes the exchange.
module:hook("stream-features", function (event)
	local origin = event.origin;
	local handler = origin.xmppauth_sasl2_handler;
	if handler == nil then return end
	origin.xmppauth_sasl2_handler = nil;
	if origin.type == "c2s_unauthed" then
		origin.sasl_handler = handler;
	end
end, PRIO_AFTER_SASLAUTH);

----------------------------------------------------------------------------
-- Unloading removes the session hook and the tls-exporter registration. The
-- stanza methods, the datetime flooring and the mod_smacks functions stay:
-- they only add behaviour where 0.12.3 would have raised an error.
----------------------------------------------------------------------------

function module.unload()
	filters.remove_filter_hook(on_new_session);
	register_scram_plus({});
end

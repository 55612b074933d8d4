// The resident's checks, in the browser: the same as yiyi_protocol::light,
// computed here with WebCrypto (Ed25519, SHA-256) over the raw bytes the
// node serves. Nothing the node says about validity is taken on its word.
"use strict";

const YiyiVerify = (() => {
  const te = new TextEncoder();
  const td = new TextDecoder();
  const CHECKS = ["format", "signature", "charter-chain", "checkpoint", "inclusion", "cosignature", "consistency", "policy", "receipt", "recount"];

  class Failure extends Error {
    constructor(check, reason) { super(reason); this.check = check; }
  }
  const fail = (check, reason) => { throw new Failure(check, reason); };

  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const fromHex = (h) => Uint8Array.from(String(h).match(/../g) || [], (x) => parseInt(x, 16));
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  // Checks that passed, by exactly the bytes checked: a board checks many
  // notices under one checkpoint and one charter chain, which then need
  // checking once. Only successes are kept.
  const passed = new Map();
  async function once(key, check) {
    if (passed.has(key)) return passed.get(key);
    const value = await check();
    if (passed.size > 20000) passed.clear();
    passed.set(key, value);
    return value;
  }

  async function ed25519(pub, sig, msg) {
    const key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, sig, msg);
  }

  // A C2SP verifier key: name+keyid+base64(alg || public key).
  // `alg` 1 for an office's key, 4 for a witness's cosigner key.
  async function parseKey(text, alg = 1, check = "charter-chain") {
    // The base64 part may itself hold '+': split at the first two only.
    const t = text.trim(), i = t.indexOf("+"), j = t.indexOf("+", i + 1);
    if (i < 1 || j !== i + 9) fail(check, "not a verifier key: " + text);
    const parts = [t.slice(0, i), t.slice(i + 1, j), t.slice(j + 1)];
    let raw;
    try { raw = b64(parts[2]); } catch (e) { fail(check, "not a verifier key: " + text); }
    if (raw.length !== 33 || raw[0] !== alg)
      fail(check, (alg === 4 ? "not an Ed25519 cosigner key: " : "not an Ed25519 key: ") + text);
    return { name: parts[0], id: parts[1], pub: raw.slice(1), text: text.trim() };
  }
  async function keyId(name, alg, pub) {
    const h = await sha256(concat(te.encode(name + "\n"), Uint8Array.of(alg), pub));
    return hex(h.slice(0, 4));
  }

  // Minimal protobuf reading: the fields the checks need.
  function fields(bytes) {
    const out = [];
    let i = 0;
    const varint = () => {
      let v = 0, shift = 1;
      for (;;) {
        if (i >= bytes.length) fail("format", "truncated protobuf");
        const b = bytes[i++];
        v += (b & 0x7f) * shift;
        shift *= 128;
        if (b < 0x80) return v;
      }
    };
    while (i < bytes.length) {
      const tag = varint();
      const field = Math.floor(tag / 8), wire = tag % 8;
      if (wire === 0) out.push([field, varint()]);
      else if (wire === 2) { const n = varint(); out.push([field, bytes.slice(i, i + n)]); i += n; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else fail("format", "unknown protobuf wire type");
    }
    return out;
  }
  // A packed run of varints.
  function packed(bytes) {
    const out = [];
    let v = 0, shift = 1;
    for (const b of bytes) {
      v += (b & 0x7f) * shift;
      shift *= 128;
      if (b < 0x80) { out.push(v); v = 0; shift = 1; }
    }
    if (shift !== 1) fail("format", "truncated protobuf");
    return out;
  }
  const first = (fs, n) => (fs.find(([f]) => f === n) || [])[1];
  // The field numbers this release reads (ledger.proto): an entry or record
  // with any other was written by a later release, and is not read here,
  // as yiyi_protocol::entry does not read it.
  const ENTRY_FIELDS = (f) => (f >= 1 && f <= 6) || (f >= 10 && f <= 34);
  const known = (fs, isKnown) => fs.every(([f]) => isKnown(f));
  const text = (v) => (v ? td.decode(v) : "");

  // A signed entry: checks the author's signature, returns what it says.
  async function entry(bytes, check) {
    const env = fields(bytes);
    const inner = first(env, 1), sig = first(env, 2);
    if (!inner || !sig) fail(check, "not a signed entry");
    const e = fields(inner);
    const author = first(e, 5);
    if (!author || author.length !== 32) fail(check, "no author key");
    const ok = await ed25519(author, sig, concat(te.encode("yiyi/entry/v1\n"), inner));
    if (!ok) fail(check, "the signature does not verify: the bytes were changed or not signed by the office");
    // A later release's record is not read: neither charter nor profile.
    const readable = (value, max) => value && known(e, ENTRY_FIELDS) && known(fields(value), (f) => f >= 1 && f <= max);
    // A charter: a district's or a street's (10), or a city's (34, the same
    // charter inside).
    const city = readable(first(e, 34), 1) && first(fields(first(e, 34)), 1);
    const plain = readable(first(e, 10), 8) && first(e, 10);
    const charter = plain || (city && known(fields(city), (f) => f >= 1 && f <= 8) && city);
    const notice = first(e, 26);
    const profile = readable(first(e, 31), 7) && first(e, 31);
    const tally = readable(first(e, 33), 6) && first(e, 33);
    return {
      author, sequence: first(e, 2) || 0, time: first(e, 4) || 0, hash: await leafHash(bytes),
      charter: charter && (() => { const c = fields(charter); return {
        action: first(c, 1) || 0, key: text(first(c, 2)), name: text(first(c, 3)), newKey: text(first(c, 6)),
        level: first(c, 4) || 0, city: !plain }; })(),
      notice: notice && (() => { const n = fields(notice); return {
        kind: first(n, 1) || 0, topic: text(first(n, 2)), title: text(first(n, 3)), body: text(first(n, 4)) }; })(),
      profile: profile && { name: text(first(fields(profile), 1)) },
      tally: tally && (() => { const f = fields(tally); return {
        round: text(first(f, 1)), ballots: first(f, 3) || 0, root: first(f, 4) || new Uint8Array(),
        // proto3 packs `repeated uint32`; an unpacked writer is read too.
        counts: f.filter(([n]) => n === 2).flatMap(([, v]) => (typeof v === "number" ? [v] : packed(v))) }; })(),
    };
  }

  // C2SP signed note: text, then "— name base64(keyid || sig)" lines.
  function parseNote(note) {
    const at = note.lastIndexOf("\n\n");
    if (at < 0) fail("checkpoint", "not a signed note");
    const body = note.slice(0, at + 1);
    const sigs = note.slice(at + 2).split("\n").filter((l) => l).map((l) => {
      const m = /^— (\S+) (\S+)$/.exec(l);
      if (!m) fail("checkpoint", "a malformed signature line");
      const raw = b64(m[2]);
      return { name: m[1], id: hex(raw.slice(0, 4)), sig: raw.slice(4) };
    });
    const lines = body.split("\n");
    return { body, sigs, origin: lines[0], size: Number(lines[1]), root: b64(lines[2] || "") };
  }

  const openCheckpoint = (noteText, key) => once("checkpoint\n" + key.text + "\n" + noteText, async () => {
    const note = parseNote(noteText);
    if (note.origin !== key.name) fail("checkpoint", "the checkpoint is of another log (" + note.origin + ")");
    const id = await keyId(key.name, 1, key.pub);
    const own = note.sigs.find((s) => s.name === key.name && s.id === id);
    if (!own || !(await ed25519(key.pub, own.sig, te.encode(note.body))))
      fail("checkpoint", "the checkpoint is not signed by the office's key");
    return note;
  });

  // RFC 9162 2.1.3.2.
  async function inclusionRoot(index, size, leaf, proof) {
    if (index >= size) fail("inclusion", "the index is beyond the checkpoint");
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) fail("inclusion", "the proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) fail("inclusion", "the proof is too short");
    return r;
  }

  const included = (proof, key, check) => once("included\n" + (check || "") + "\n" + key.text + "\n" + proof.text, async () => {
    const note = await openCheckpoint(proof.checkpoint, key).catch((e) => {
      if (check && e instanceof Failure) fail(check, e.message);
      throw e;
    });
    const root = await inclusionRoot(proof.index, note.size, await leafHash(proof.extra), proof.hashes).catch((e) => {
      if (check && e instanceof Failure) fail(check, e.message);
      throw e;
    });
    if (!equal(root, note.root)) fail(check || "inclusion", "the entry is not in the checkpoint's tree");
    return note;
  });

  // RFC 9162 2.1.4.2: the tree of `older` ({size, root}) is a prefix of
  // the tree of `newer`, by the consistency proof between them.
  async function consistent(older, newer, proof) {
    const bad = (why) => fail("consistency", why);
    if (older.size > newer.size) bad("the older checkpoint is the larger one");
    if (older.size === newer.size) {
      if (proof.length || !equal(older.root, newer.root))
        bad("two checkpoints of one size with different roots: the ledger was rewritten (forked)");
      return;
    }
    if (older.size === 0) return;
    let path = proof.slice();
    if ((older.size & (older.size - 1)) === 0) path.unshift(older.root);
    if (!path.length) bad("an empty consistency proof");
    let fn = older.size - 1, sn = newer.size - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) bad("the consistency proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0 || !equal(fr, older.root) || !equal(sr, newer.root))
      bad("the ledger seen before is not a prefix of this one: it was rewritten (forked)");
  }

  function parseProof(t) {
    const at = t.indexOf("\n\n");
    if (at < 0) fail("format", "a tlog-proof without a checkpoint");
    const lines = t.slice(0, at).split("\n");
    if (lines.shift() !== "c2sp.org/tlog-proof@v1") fail("format", "not a tlog-proof");
    let extra = new Uint8Array();
    if (lines[0] && lines[0].startsWith("extra ")) extra = b64(lines.shift().slice(6));
    const m = /^index (\d+)$/.exec(lines.shift() || "");
    if (!m) fail("format", "no index line");
    // The checkpoint's form, as yiyi_protocol's parser checks it: its
    // lines, a blank line, signature lines, and nothing after (a trailing
    // newline is a malformed bundle, not a failed signature).
    const checkpoint = t.slice(at + 2);
    if (!/^(?:[^\n]+\n){3,}\n(?:— \S+ \S+\n)+$/.test(checkpoint)) fail("format", "a malformed checkpoint");
    return { extra, index: Number(m[1]), hashes: lines.map(b64), checkpoint, text: t };
  }

  // The levels an office may admit (yiyi_protocol::federation::admits): a
  // city its districts, by city charter only; a district its streets and
  // communities; a street its communities.
  const LEVEL = { district: 1, street: 2, community: 3, city: 6 };
  const LEVEL_NAMES = { 1: "district", 2: "street", 3: "community", 4: "grid", 5: "building", 6: "city" };
  function admits(signer, admitted, city) {
    if (city) return signer === LEVEL.city && admitted === LEVEL.district;
    if (signer === LEVEL.district) return admitted === LEVEL.street || admitted === LEVEL.community;
    if (signer === LEVEL.street) return admitted === LEVEL.community;
    return false;
  }

  function parseBundle(t) {
    if (!t.startsWith("yiyi.notice-bundle/v1\n")) fail("format", "not a notice bundle");
    const parts = t.slice("yiyi.notice-bundle/v1\n".length).split(/\n(?=c2sp\.org\/tlog-proof@v1\n)/);
    return parts.map((p, i) => parseProof(i < parts.length - 1 ? p + "\n" : p));
  }

  // Checks a bundle against the pinned district key; resolves to what it
  // found, or rejects with a Failure naming the check.
  async function verify(bundleText, trustText) {
    if (!crypto.subtle) fail("format", "this page is not in a secure context: the browser cannot check signatures here");
    const proofs = parseBundle(bundleText);
    const trust = await parseKey(trustText);
    const notice = await entry(proofs[0].extra, "signature");
    let below = notice.author;
    const keys = [], links = [], profiles = [], above = [];
    // After the notice: the charters up to the district, then the offices'
    // profiles, which name them; anything else (a later release's) is
    // skipped, as it cannot complete the chain.
    for (const [i, link] of proofs.slice(1).entries()) {
      const e = await once("entry\n" + link.text, () => entry(link.extra, "charter-chain"));
      if (e.profile && !e.charter) { profiles.push({ link, e }); continue; }
      // Above the pinned key (a city's, when the district's is trusted):
      // not needed, and skipped with the profiles of those offices.
      if (equal(below, trust.pub)) { above.push(e.author); continue; }
      const c = e.charter;
      if (!c) continue;
      const admitted = c.action === 1 ? c.key : c.action === 3 ? c.newKey : null;
      if (!admitted) fail("charter-chain", "charter " + (i + 1) + " does not admit an office");
      const key = await parseKey(admitted);
      if (!equal(key.pub, below)) fail("charter-chain", "charter " + (i + 1) + " admits another office's key");
      keys.push({ key, name: c.name, level: c.level, city: c.city, at: i });
      links.push(link);
      below = e.author;
    }
    if (!equal(below, trust.pub)) fail("charter-chain", "the chain does not end at the pinned district key");
    // Levels go down the chain; the top link's signer is the pinned root, a
    // city if that link is a city charter, else a district.
    for (const [j, k] of keys.entries()) {
      const signer = keys[j + 1] ? keys[j + 1].level : k.city ? LEVEL.city : LEVEL.district;
      if (signer && k.level && !admits(signer, k.level, k.city))
        fail("charter-chain", `charter ${k.at + 1} admits a ${LEVEL_NAMES[k.level] || k.level} office, which a ${LEVEL_NAMES[signer] || signer} office cannot admit`);
    }
    for (const [i, link] of links.entries()) {
      await included(link, keys[i + 1] ? keys[i + 1].key : trust, "charter-chain");
    }
    let districtName = trust.name;
    for (const [i, { link, e }] of profiles.entries()) {
      const named = keys.find((k) => equal(k.key.pub, e.author));
      if (!named && above.some((a) => equal(a, e.author))) continue;
      if (!named && !equal(trust.pub, e.author)) fail("charter-chain", "profile " + (i + 1) + " is by an office outside the chain");
      await included(link, named ? named.key : trust, "charter-chain");
      if (link.index !== e.sequence) fail("charter-chain", "profile " + (i + 1) + ": the proof is for another entry");
      if (e.profile.name.trim()) {
        if (named) named.name = e.profile.name; else districtName = e.profile.name;
      }
    }
    const office = keys[0] ? keys[0].key : trust;
    const note = await included(proofs[0], office);
    if (proofs[0].index !== notice.sequence) fail("inclusion", "the proof is for another entry");
    let cosignedAt = null;
    if (keys.length > 0) {
      const parent = keys[1] ? keys[1].key : trust;
      const id = await keyId(parent.name, 4, parent.pub);
      const cos = note.sigs.find((s) => s.name === parent.name && s.id === id);
      if (!cos) fail("cosignature", "the checkpoint carries no cosignature by the parent office");
      const time = cos.sig.slice(0, 8);
      let t = 0;
      for (const b of time) t = t * 256 + b;
      const msg = concat(te.encode("cosignature/v1\ntime " + t + "\n"), te.encode(note.body));
      if (!(await ed25519(parent.pub, cos.sig.slice(8), msg))) fail("cosignature", "the parent's cosignature does not verify");
      cosignedAt = t;
    }
    return {
      notice: notice.notice, tally: notice.tally, hash: hex(notice.hash), sequence: notice.sequence,
      office: keys[0] ? keys[0].name : districtName,
      chain: keys.map((k) => k.name).concat([districtName]), size: note.size, cosignedAt,
      log: hex(notice.author), root: note.root, note,
    };
  }

  // A resident's witness policy, C2SP tlog-policy (yiyi_protocol::policy):
  // `log <vkey>`, `witness <name> <vkey> [url]`, `group <name>
  // all|any|<k> <names…>`, `quorum <name>|none`; names defined before use.
  async function parsePolicy(text) {
    const bad = (n, why) => fail("policy", `policy line ${n}: ${why}`);
    const policy = { logs: [], witnesses: [], groups: new Map(), quorum: undefined };
    const names = new Set(["none"]);
    const define = (n, name) => { if (names.has(name)) bad(n, `"${name}" is defined twice`); names.add(name); return name; };
    for (const [i, raw] of text.split("\n").entries()) {
      const n = i + 1, w = raw.split("#")[0].trim().split(/\s+/).filter(Boolean);
      if (!w.length) continue;
      if (w[0] === "log" && (w.length === 2 || w.length === 3)) policy.logs.push(await parseKey(w[1], 1, "policy"));
      else if (w[0] === "witness" && (w.length === 3 || w.length === 4)) {
        const key = await parseKey(w[2], 4, "policy");
        policy.witnesses.push({ name: define(n, w[1]), key });
      } else if (w[0] === "group" && w.length >= 4) {
        const members = w.slice(3);
        for (const m of members) if (!names.has(m) || m === "none") bad(n, `"${m}" is not defined above`);
        const k = w[2] === "all" ? members.length : w[2] === "any" ? 1 : /^[1-9]\d*$/.test(w[2]) ? Number(w[2]) : 0;
        if (!(k >= 1 && k <= members.length)) bad(n, `"${w[2]}" is not all, any or 1 to ${members.length}`);
        policy.groups.set(define(n, w[1]), { k, members });
      } else if (w[0] === "quorum" && w.length === 2) {
        if (policy.quorum !== undefined) bad(n, "a second quorum line");
        if (!names.has(w[1])) bad(n, `"${w[1]}" is not defined above`);
        policy.quorum = w[1];
      } else bad(n, "not a policy line: " + raw.trim());
    }
    if (policy.quorum === undefined) fail("policy", "the policy has no quorum line");
    return policy;
  }

  // Whether the checkpoint of a verified notice (`value`, from verify)
  // meets `policy`: resolves to the witnesses that cosigned, or rejects
  // with a Failure naming those missing.
  async function meetsPolicy(value, policy) {
    if (policy.logs.length && !policy.logs.some((k) => hex(k.pub) === value.log))
      fail("policy", "the office's ledger is not one the policy accepts");
    const cosigned = new Set();
    for (const w of policy.witnesses) {
      const id = await keyId(w.key.name, 4, w.key.pub);
      const cos = value.note.sigs.find((s) => s.name === w.key.name && s.id === id);
      if (!cos || cos.sig.length !== 72) continue;
      let t = 0;
      for (const b of cos.sig.slice(0, 8)) t = t * 256 + b;
      const msg = concat(te.encode("cosignature/v1\ntime " + t + "\n"), te.encode(value.note.body));
      if (await ed25519(w.key.pub, cos.sig.slice(8), msg)) cosigned.add(w.name);
    }
    const met = (name) => {
      const g = policy.groups.get(name);
      return g ? g.members.filter(met).length >= g.k : cosigned.has(name);
    };
    const under = (name, into) => {
      const g = policy.groups.get(name);
      if (g) g.members.forEach((m) => under(m, into)); else into.add(name);
      return into;
    };
    if (policy.quorum !== "none" && !met(policy.quorum)) {
      const missing = [...under(policy.quorum, new Set())].filter((n) => !cosigned.has(n)).sort();
      fail("policy", `the policy's quorum "${policy.quorum}" is not met: no cosignature by ${missing.join(", ")}`);
    }
    return [...cosigned].sort();
  }

  // A ballot's leaf in a round's tally (yiyi_protocol::tally::Ballot::leaf).
  function ballotLeaf(round, receipt, choice) {
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, choice);
    return concat(te.encode("yiyi/ballot/v1\n" + round + "\n"), receipt, c);
  }

  // A resident's receipt against a verified tally: her ballot's leaf, with
  // the choice the proof names (and she remembers, when she does), is under
  // the tally's root. Resolves to the choice counted.
  async function checkReceipt(tally, round, receiptHex, proof, expected) {
    if (tally.round !== round) fail("receipt", "the tally is of another round");
    const receipt = fromHex(receiptHex.trim().toLowerCase());
    if (receipt.length !== 32 || hex(receipt) !== String(proof.receipt)) fail("receipt", "the proof is for another receipt");
    const leaf = await leafHash(ballotLeaf(round, receipt, proof.choice));
    const root = await inclusionRoot(proof.index, tally.ballots, leaf, proof.hashes.map(fromHex)).catch((e) => {
      if (e instanceof Failure) fail("receipt", e.message);
      throw e;
    });
    if (!equal(root, tally.root)) fail("receipt", "your ballot is not under the tally's root: it was left out or changed");
    if (expected !== undefined && expected !== null && expected !== proof.choice)
      fail("receipt", "your ballot is counted for another option than the one you gave");
    return proof.choice;
  }

  // RFC 6962 root over leaf hashes.
  async function treeRoot(leaves) {
    if (leaves.length === 0) return sha256(new Uint8Array());
    let level = leaves;
    // Bottom-up: an odd node is carried up as it is, which gives the
    // RFC's split at the largest power of two.
    while (level.length > 1) {
      const next = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
      const hashed = await Promise.all(next);
      if (level.length % 2 === 1) hashed.push(level[level.length - 1]);
      level = hashed;
    }
    return level[0];
  }

  // Anyone's recount of a verified tally from its published ballots
  // (yiyi_protocol::tally::recount): sorted by receipt, one per code, the
  // same counts, number and root.
  async function recount(tally, round, ballots) {
    const counts = tally.counts.map(() => 0);
    for (const [i, b] of ballots.entries()) {
      if (i > 0 && !(ballots[i - 1].receipt < b.receipt)) fail("recount", "the ballots are not sorted by receipt, one per code");
      if (!(b.choice < counts.length)) fail("recount", "a ballot chose an option the round does not have");
      counts[b.choice] += 1;
    }
    if (ballots.length !== tally.ballots) fail("recount", `the tally says ${tally.ballots} ballots, ${ballots.length} are published`);
    for (const [i, n] of counts.entries())
      if (n !== tally.counts[i]) fail("recount", `option ${i + 1}: the tally says ${tally.counts[i]}, the ballots give ${n}`);
    const leaves = await Promise.all(ballots.map((b) => leafHash(ballotLeaf(round, fromHex(b.receipt), b.choice))));
    if (!equal(await treeRoot(leaves), tally.root)) fail("recount", "the published ballots do not give the tally's root");
    return counts;
  }

  return { verify, consistent, checkReceipt, recount, parsePolicy, meetsPolicy, Failure, CHECKS, keyId, parseKey, hex };
})();

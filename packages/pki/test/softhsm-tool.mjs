#!/usr/bin/env node
// Test helper run in its own process (so this package's key store is not in it):
// makes a SoftHSM2 token and inspects the keys on it through pkcs11js directly.
// PINs come from the environment, never from argv (softhsm2-util takes them only
// on argv or from a terminal).
//   SOFTHSM2_CONF, P11_MODULE, P11_LABEL, P11_SO_PIN, P11_PIN
//   node softhsm-tool.mjs init               → initialises a free slot's token
//   node softhsm-tool.mjs slot               → JSON: the token's slot id
//   node softhsm-tool.mjs inspect LABEL...   → JSON: attributes and export attempts per key
import pkcs11js from 'pkcs11js';
import { Buffer } from 'node:buffer';

const P = pkcs11js;
const env = process.env;
const lib = new P.PKCS11();
lib.load(env.P11_MODULE);
lib.C_Initialize();
const ckr = (e) => /^CKR_[A-Z_]+/.exec(e.message)?.[0] ?? e.message;

try {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === 'init') {
    const free = lib
      .C_GetSlotList(true)
      .find((s) => (lib.C_GetTokenInfo(s).flags & P.CKF_TOKEN_INITIALIZED) === 0);
    if (!free) throw new Error('no free SoftHSM2 slot');
    // PKCS#11 labels are 32 bytes, padded with spaces
    lib.C_InitToken(free, env.P11_SO_PIN, env.P11_LABEL.padEnd(32, ' '));
    const s = lib.C_OpenSession(free, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
    lib.C_Login(s, P.CKU_SO, env.P11_SO_PIN);
    lib.C_InitPIN(s, env.P11_PIN);
    lib.C_Logout(s);
    lib.C_CloseSession(s);
    console.log(JSON.stringify({ ok: true }));
  } else if (cmd === 'slot') {
    // the slot id of the labelled token, as --pkcs11-slot takes it (SoftHSM2 gives an
    // initialised token a new id when it loads it, so ask a fresh process)
    const slot = lib
      .C_GetSlotList(true)
      .find((s) => lib.C_GetTokenInfo(s).label.trim() === env.P11_LABEL);
    const id = slot.length === 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0));
    console.log(JSON.stringify({ slot: Number(id) }));
  } else if (cmd === 'inspect') {
    const slot = lib
      .C_GetSlotList(true)
      .find((s) => lib.C_GetTokenInfo(s).label.trim() === env.P11_LABEL);
    const s = lib.C_OpenSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
    lib.C_Login(s, P.CKU_USER, env.P11_PIN);
    // a session AES key to try wrapping (exporting) each private key with
    const aes = lib.C_GenerateKey(s, { mechanism: P.CKM_AES_KEY_GEN }, [
      { type: P.CKA_CLASS, value: P.CKO_SECRET_KEY },
      { type: P.CKA_TOKEN, value: false },
      { type: P.CKA_VALUE_LEN, value: 32 },
      { type: P.CKA_WRAP, value: true },
    ]);
    const out = {};
    for (const label of args) {
      lib.C_FindObjectsInit(s, [
        { type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY },
        { type: P.CKA_LABEL, value: label },
      ]);
      const found = lib.C_FindObjects(s, 4);
      lib.C_FindObjectsFinal(s);
      if (found.length !== 1) {
        out[label] = { found: found.length };
        continue;
      }
      const h = found[0];
      const flag = (type) => lib.C_GetAttributeValue(s, h, [{ type }])[0].value[0] === 1;
      const attempt = (fn) => {
        try {
          fn();
          return 'exported';
        } catch (e) {
          return ckr(e);
        }
      };
      out[label] = {
        found: 1,
        sensitive: flag(P.CKA_SENSITIVE),
        extractable: flag(P.CKA_EXTRACTABLE),
        alwaysSensitive: flag(P.CKA_ALWAYS_SENSITIVE),
        neverExtractable: flag(P.CKA_NEVER_EXTRACTABLE),
        token: flag(P.CKA_TOKEN),
        readPrivateExponent: attempt(() =>
          lib.C_GetAttributeValue(s, h, [{ type: P.CKA_PRIVATE_EXPONENT }]),
        ),
        readPrime: attempt(() => lib.C_GetAttributeValue(s, h, [{ type: P.CKA_PRIME_1 }])),
        wrap: attempt(() =>
          lib.C_WrapKey(s, { mechanism: P.CKM_AES_KEY_WRAP_PAD }, aes, h, Buffer.alloc(4096)),
        ),
        id: lib.C_GetAttributeValue(s, h, [{ type: P.CKA_ID }])[0].value.toString('hex'),
      };
    }
    lib.C_Logout(s);
    lib.C_CloseSession(s);
    console.log(JSON.stringify(out));
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
} catch (e) {
  console.error(`softhsm-tool: ${ckr(e)}`);
  process.exitCode = 1;
} finally {
  lib.C_Finalize();
  lib.close();
}

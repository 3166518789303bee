// Independent JOSE peers for idp's signed and encrypted answers: panva's jose (6.2.17) and
// openid-client (6.9.0), pinned by tests/federation/package-lock.json. One JSON object on
// stdin, one on stdout:
//   node peers.mjs keys          {alg}                          -> {public, private} JWKs (use enc)
//   node peers.mjs decrypt       {jwe, keys, jwks, issuer, audience}
//                                -> {jwe_header, jws_header, payload}  (decrypt, then verify)
//   node peers.mjs verify        {jwt, jwks, issuer, audience}  -> {header, payload}
//   node peers.mjs fc-data-provider {checktokenEndpoint, jwksEndpoint, issuer, client_id,
//                                client_secret, token, checktokenEncryptedResponseAlg,
//                                checktokenEncryptedResponseEnc, jwks}
//                                -> {jwe_header, jws_header, payload}
//   node peers.mjs discover      {issuer}                       -> the discovered metadata
//   node peers.mjs rp-start      {issuer, client_id, client_secret, redirect_uri, scope,
//                                metadata, keys}                -> {url, state, nonce, code_verifier}
//   node peers.mjs rp-finish     {...the same, callback_url, state, nonce, code_verifier}
//                                -> {claims, userinfo, id_token, access_token}
const jose = await import(new URL('../federation/node_modules/jose/dist/webapi/index.js', import.meta.url));
const client = await import(
  new URL('../federation/node_modules/openid-client/build/index.js', import.meta.url)
);

let input = '';
for await (const chunk of process.stdin) input += chunk;
const args = JSON.parse(input);

// --- FranceConnect's data provider side, transcribed from france-connect/sources:
// back/libs/jwt/src/services/jwt.service.ts (getFirstRelevantKey, getKeyForToken, decrypt,
// verify) and back/libs/data-provider-adapter-core/src/data-provider-adapter-core.service.ts
// (checktoken: the form request, the alg/enc checks, decrypt then verify).
function getFirstRelevantKey(jwks, alg, use, kid) {
  const relevantKeys = jwks.keys
    .filter((jwk) => jwk.use === use)
    .filter((jwk) => jwk.alg === alg)
    .filter((jwk) => (kid ? jwk.kid === kid : true));
  if (relevantKeys.length === 0) throw new Error(`NoRelevantKeyException ${alg} ${use}`);
  if (relevantKeys.length > 1 && kid) throw new Error(`MultipleRelevantKeysException ${alg} ${use} ${kid}`);
  return relevantKeys[0];
}

function getKeyForToken(jwt, jwks, use) {
  const { alg, kid } = jose.decodeProtectedHeader(jwt);
  return getFirstRelevantKey(jwks, alg, use, kid);
}

async function fcDecrypt(jwt, jwks) {
  const key = await jose.importJWK(getKeyForToken(jwt, jwks, 'enc'));
  const { plaintext } = await jose.compactDecrypt(jwt, key);
  return new TextDecoder().decode(plaintext);
}

async function fcVerify(jwt, issuer, jwks) {
  const key = await jose.importJWK(getKeyForToken(jwt, jwks, 'sig'));
  const { payload } = await jose.jwtVerify(jwt, key, { issuer });
  return payload;
}

async function fcChecktoken(cfg) {
  const response = await fetch(cfg.checktokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: cfg.client_id,
      client_secret: cfg.client_secret,
      token: cfg.token,
    }).toString(),
  });
  const cryptedToken = await response.text();
  if (!response.ok) throw new Error(`ChecktokenHttpStatusException ${response.status} ${cryptedToken}`);
  const headers = jose.decodeProtectedHeader(cryptedToken);
  if (typeof headers.alg !== 'string' || headers.alg !== cfg.checktokenEncryptedResponseAlg) {
    throw new Error('ChecktokenInvalidAlgorithmException');
  }
  if (typeof headers.enc !== 'string' || headers.enc !== cfg.checktokenEncryptedResponseEnc) {
    throw new Error('ChecktokenInvalidEncodingException');
  }
  const signJwks = await (await fetch(cfg.jwksEndpoint)).json();
  const signedToken = await fcDecrypt(cryptedToken, cfg.jwks);
  const payload = await fcVerify(signedToken, cfg.issuer, signJwks);
  return {
    content_type: response.headers.get('content-type'),
    jwe_header: headers,
    jws_header: jose.decodeProtectedHeader(signedToken),
    payload,
  };
}

// --- Plain jose: keys, decryption and verification.
async function keys({ alg }) {
  const options = { extractable: true, ...(alg.startsWith('RSA') ? { modulusLength: 2048 } : {}) };
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, options);
  const publicJwk = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(publicJwk);
  const extra = { kid, use: 'enc', alg };
  return { public: { ...publicJwk, ...extra }, private: { ...(await jose.exportJWK(privateKey)), ...extra } };
}

async function verify({ jwt, jwks, issuer, audience }) {
  const { payload, protectedHeader } = await jose.jwtVerify(jwt, jose.createLocalJWKSet(jwks), {
    issuer,
    audience,
  });
  return { header: protectedHeader, payload };
}

async function decrypt({ jwe, keys: privateJwks, jwks, issuer, audience }) {
  const header = jose.decodeProtectedHeader(jwe);
  const jwk = privateJwks.keys.find((key) => key.alg === header.alg && (!header.kid || key.kid === header.kid));
  const { plaintext, protectedHeader } = await jose.compactDecrypt(jwe, await jose.importJWK(jwk));
  const signed = new TextDecoder().decode(plaintext);
  const verified = await verify({ jwt: signed, jwks, issuer, audience });
  return { jwe_header: protectedHeader, jws_header: verified.header, payload: verified.payload };
}

// --- openid-client as a strict relying party that decrypts what it registered encrypted.
async function configuration(args) {
  const config = await client.discovery(
    new URL(args.issuer),
    args.client_id,
    { client_secret: args.client_secret, ...args.metadata },
    client.ClientSecretBasic(args.client_secret),
    { execute: [client.allowInsecureRequests] }, // the test server is on http://127.0.0.1
  );
  if (args.keys) {
    const decryptionKeys = await Promise.all(
      args.keys.keys.map(async (jwk) => ({ key: await jose.importJWK(jwk), kid: jwk.kid, alg: jwk.alg })),
    );
    client.enableDecryptingResponses(config, ['A256GCM'], ...decryptionKeys);
  }
  return config;
}

async function rpStart(args) {
  const config = await configuration(args);
  const code_verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: args.redirect_uri,
    scope: args.scope,
    code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url: url.href, state, nonce, code_verifier };
}

async function rpFinish(args) {
  const config = await configuration(args);
  const tokens = await client.authorizationCodeGrant(config, new URL(args.callback_url), {
    pkceCodeVerifier: args.code_verifier,
    expectedState: args.state,
    expectedNonce: args.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  return { claims, userinfo, id_token: tokens.id_token, access_token: tokens.access_token };
}

async function discover({ issuer }) {
  const config = await client.discovery(new URL(issuer), 'discovery-only', undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  return config.serverMetadata();
}

const commands = {
  keys,
  decrypt,
  verify,
  'fc-data-provider': fcChecktoken,
  discover,
  'rp-start': rpStart,
  'rp-finish': rpFinish,
};
console.log(JSON.stringify(await commands[process.argv[2]](args)));

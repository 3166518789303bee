// A strict relying party: panva's openid-client (a certified OpenID Connect RP library),
// for the federation tests. Two steps around the browser, each reading one JSON object on
// stdin and printing one on stdout:
//   node strict-rp.mjs start   {issuer, client_id, client_secret, redirect_uri, scope, extra?}
//     -> {url, state, nonce, code_verifier}
//   node strict-rp.mjs finish  {...the same, callback_url, state, nonce, code_verifier}
//     -> {id_token, claims, access_token, userinfo}
// finish checks what openid-client checks: RFC 9207 iss, state, the code exchange with PKCE,
// the ID token (signature from the JWKS, iss, aud, exp, iat, nonce) and userinfo's sub.
import * as client from 'openid-client';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const args = JSON.parse(input);

const config = await client.discovery(
  new URL(args.issuer),
  args.client_id,
  { client_secret: args.client_secret, id_token_signed_response_alg: 'RS256' },
  client.ClientSecretBasic(args.client_secret),
  { execute: [client.allowInsecureRequests] }, // the test servers are on http://127.0.0.1
);

if (process.argv[2] === 'start') {
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
    ...(args.extra || {}),
  });
  console.log(JSON.stringify({ url: url.href, state, nonce, code_verifier }));
} else {
  const tokens = await client.authorizationCodeGrant(config, new URL(args.callback_url), {
    pkceCodeVerifier: args.code_verifier,
    expectedState: args.state,
    expectedNonce: args.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  console.log(JSON.stringify({ id_token: tokens.id_token, claims, access_token: tokens.access_token, userinfo }));
}

// Terminal request signing, exactly as backend/staff/rules.py verifies it:
//   X-Signature = hex HMAC-SHA256(secret, METHOD \n PATH?QUERY \n TIMESTAMP \n NONCE \n hex SHA-256(body))
// The secret never leaves the browser, and after set-up not even page script can read it: it is
// imported once as a non-extractable Web Crypto key, which can only sign.
const encoder = new TextEncoder()
const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('')

export async function sha256Hex(bytes) {
  return hex(await crypto.subtle.digest('SHA-256', bytes))
}

export function newNonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return hex(bytes)
}

// The terminal secret as an HMAC key that cannot be exported (extractable: false), for signing only.
export function importSecret(secret) {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
}

export async function signRequest({ terminalCode, key, method, path, body = '', timestamp, nonce = newNonce() }) {
  const bodyBytes = encoder.encode(body)
  const canonical = [method.toUpperCase(), path, String(timestamp), nonce, await sha256Hex(bodyBytes)].join('\n')
  const signature = hex(await crypto.subtle.sign('HMAC', key, encoder.encode(canonical)))
  return { 'X-Terminal-Id': terminalCode, 'X-Timestamp': String(timestamp), 'X-Nonce': nonce, 'X-Signature': signature }
}

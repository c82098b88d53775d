// The terminal's credentials and its clock offset to the service clock (timestamps are judged by
// the service's clock, not this machine's).
//
// The secret is entered once and imported at once as a non-extractable HMAC CryptoKey
// (signing.js); the key lives in IndexedDB, whose structured clone keeps it non-extractable. The
// secret's text is stored nowhere: localStorage keeps only the terminal's code and name, and a
// copy of the secret left there by an older version is turned into a key and removed on load.
import { reactive } from 'vue'
import { getHealth } from '../health/index.js'
import { importSecret } from './signing.js'

const KEY = 'ehealth.terminal'
const DB = 'ehealth-terminal',
  STORE = 'keys',
  RECORD = 'terminal'

export const terminal = reactive({ code: '', name: '', ready: false })
let signingKey = null
let offsetMs = 0

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1)
    req.onupgradeneeded = () => req.result.createObjectStore(STORE)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}
async function inStore(mode, work) {
  const db = await openDb()
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode)
      const req = work(tx.objectStore(STORE))
      tx.oncomplete = () => resolve(req.result)
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error)
    })
  } finally {
    db.close()
  }
}
const readKey = () => inStore('readonly', (s) => s.get(RECORD))
const writeKey = (record) => inStore('readwrite', (s) => s.put(record, RECORD))
const deleteKey = () => inStore('readwrite', (s) => s.delete(RECORD))

function remember(code, name) {
  localStorage.setItem(KEY, JSON.stringify({ code, name }))
}

// On load: the key from IndexedDB; an older version's secret text is imported, then erased.
export const terminalLoaded = (async () => {
  let saved = {}
  try {
    saved = JSON.parse(localStorage.getItem(KEY) || '{}') || {}
  } catch {
    saved = {}
  }
  const oldSecret = typeof saved.secret === 'string' ? saved.secret : ''
  if ('secret' in saved) remember(saved.code || '', saved.name || '') // the text goes at once
  terminal.code = saved.code || ''
  terminal.name = saved.name || ''
  try {
    if (oldSecret && terminal.code) {
      signingKey = await importSecret(oldSecret)
      await writeKey({ code: terminal.code, key: signingKey })
    } else {
      const record = await readKey()
      if (record && record.code === terminal.code) signingKey = record.key
    }
  } catch {
    signingKey = null
  }
  terminal.ready = Boolean(terminal.code && signingKey)
})()

export async function saveTerminal({ code, secret, name }) {
  const key = await importSecret(secret)
  await writeKey({ code, key })
  signingKey = key
  remember(code, name)
  Object.assign(terminal, { code, name, ready: true })
}

export async function forgetTerminal() {
  signingKey = null
  Object.assign(terminal, { code: '', name: '', ready: false })
  localStorage.removeItem(KEY)
  await deleteKey()
}

export async function terminalKey() {
  await terminalLoaded
  return signingKey
}

export async function syncClock() {
  const before = Date.now()
  const health = await getHealth()
  const after = Date.now()
  offsetMs = new Date(health.time).getTime() - (before + after) / 2
  return offsetMs
}
export const serviceNowSeconds = () => Math.floor((Date.now() + offsetMs) / 1000)

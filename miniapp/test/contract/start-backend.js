// Starts the real backend (python -m backend) on the embedded dev default: a fresh SQLite file
// in a temp dir, the in-process hold store, the WeChat login and payment stand-ins, demo data;
// on a free port of 127.0.0.1. The contract tests find it in EHEALTH_CONTRACT_BASE.
const { spawn } = require('child_process')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')

const REPO = path.resolve(__dirname, '../../..')

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

module.exports = async function startBackend() {
  const python = process.env.PYTHON || path.join(REPO, '.venv/bin/python')
  if (!fs.existsSync(python)) {
    throw new Error(`no Python for the backend at ${python}: run scripts/test (it creates .venv) or set PYTHON`)
  }
  const port = await freePort()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniapp-contract-'))
  const env = Object.assign({}, process.env, { APP_ENV: 'dev', PORT: String(port), DATA_DIR: dataDir })
  delete env.DATABASE_URL
  delete env.REDIS_URL
  const logPath = path.join(dataDir, 'server.log')
  const log = fs.openSync(logPath, 'w')
  const proc = spawn(python, ['-m', 'backend'], { cwd: REPO, env, stdio: ['ignore', log, log] })
  const base = `http://127.0.0.1:${port}`
  let exited = null
  proc.on('exit', (code) => {
    exited = code
  })
  const deadline = Date.now() + 60000
  for (;;) {
    if (exited !== null)
      throw new Error(`backend exited with ${exited}:\n${fs.readFileSync(logPath, 'utf8').slice(-3000)}`)
    try {
      const res = await fetch(`${base}/api/v1/health`)
      if (res.status === 200) break
    } catch (e) {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`backend did not come up:\n${fs.readFileSync(logPath, 'utf8').slice(-3000)}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  process.env.EHEALTH_CONTRACT_BASE = base
  process.env.EHEALTH_CONTRACT_LOG = logPath
  globalThis.__ehealthBackend = { proc, dataDir, log }
}

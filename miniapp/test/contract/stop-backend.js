const fs = require('fs')

module.exports = async function stopBackend() {
  const backend = globalThis.__ehealthBackend
  if (!backend) return
  const { proc, dataDir, log } = backend
  if (proc.exitCode === null) {
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000)
    await exited
    clearTimeout(timer)
  }
  fs.closeSync(log)
  fs.rmSync(dataDir, { recursive: true, force: true })
}

// Aedes on 127.0.0.1 for mqscope's interoperability tests.
// Usage: node aedes.mjs PORT. Prints "listening PORT" once ready.
// Subscriptions to forbidden/... are refused (SUBACK 0x80), so the tests can
// see a per-filter SUBACK failure from a real broker.
import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const port = Number(process.argv[2])
const aedes = await Aedes.createBroker()
aedes.authorizeSubscribe = (client, sub, callback) => {
  if (sub.topic.startsWith('forbidden/')) {
    callback(null, null) // refused: SUBACK 0x80 for this filter only
  } else {
    callback(null, sub)
  }
}
const server = createServer(aedes.handle)
server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${port}`)
})
process.on('SIGTERM', () => process.exit(0))

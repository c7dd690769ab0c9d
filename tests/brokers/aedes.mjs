// Aedes on 127.0.0.1 for mqscope's interoperability tests.
// Usage: node aedes.mjs PORT. Prints "listening PORT" once ready.
import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const port = Number(process.argv[2])
const aedes = await Aedes.createBroker()
const server = createServer(aedes.handle)
server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${port}`)
})
process.on('SIGTERM', () => process.exit(0))

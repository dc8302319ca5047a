/**
 * The workload the Service e2e tests run: a Deployment `web` whose pods serve HTTP on 8080 (port
 * `http`, ready once it listens) and a byte-counting sink on 9000 (port `sink`, for throughput),
 * and a NodePort Service `web` in front of both ports. Every command line carries `marker`, so a
 * test can find the pod processes.
 */

/** The sink: counts the bytes a client sends and answers with the count once the client has finished. */
export const sinkScript = (marker: string): string => `require('net').createServer(c=>{let n=0;c.on('data',d=>n+=d.length);c.on('end',()=>c.end(String(n)))}).listen(9000) /* ${marker} */`;

/** The Deployment and its NodePort Service; `server` is the Node program answering on 8080. */
export function webApp(server: string, marker: string): object[] {
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'web', image: 'node', command: ['node', '-e', server], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } },
              { name: 'sink', image: 'node', command: ['node', '-e', sinkScript(marker)], ports: [{ name: 'sink', containerPort: 9000 }] },
            ],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'sink', port: 9000, targetPort: 'sink' }] } },
  ];
}

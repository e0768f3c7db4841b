# wharf/demo: the sample app that tests and `run.sh up` register and route to.
# Build context: docker/ (docker build -f docker/demo.Dockerfile docker).
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY demo/server.mjs demo/client.mjs demo/service.mjs demo/tier-server.mjs /app/

USER node
EXPOSE 8080

# bash's /dev/tcp keeps the probe to a few milliseconds (starting node for it costs ~50 ms of
# CPU per run). Tests that use wharf.check=docker and want it faster pass --health-interval.
HEALTHCHECK --interval=5s --timeout=2s --start-period=5s --retries=2 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-8080} && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r -t 2 _ status _ <&3 && [[ $status == 200 ]]"]

# No shell in between: SIGTERM reaches node, which drains and exits 0.
ENTRYPOINT ["node", "/app/server.mjs"]

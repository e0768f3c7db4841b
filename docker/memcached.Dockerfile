# wharf/memcached: Debian's memcached, the data tier of the three-tier demo (client → service →
# memcached). Build context: docker/ (docker build -f docker/memcached.Dockerfile docker).
FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends memcached \
 && rm -rf /var/lib/apt/lists/*

# Debian's package creates the unprivileged memcache user; memcached needs no privilege.
USER memcache
EXPOSE 11211

# No shell in between: SIGTERM reaches memcached, which exits at once (it holds only a cache).
ENTRYPOINT ["memcached", "--port=11211", "--memory-limit=64"]

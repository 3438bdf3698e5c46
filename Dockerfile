# The mk8s image: one image, every component; the command picks the role
# (docker-compose.yml: control-plane, node, images, host-routes).
# Offline machines: images/base-offline.sh makes the base image from Debian
# packages when no registry answers (see README).
ARG BASE_IMAGE=node:20-bookworm-slim

# The build: every dependency (TypeScript), then the source, compiled to dist/.
FROM ${BASE_IMAGE} AS build
WORKDIR /opt/mk8s
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build --silent

# The docker CLI alone (for building the built-in images): Debian ships it
# inside the docker.io package, whose daemon, containerd and runc a node does not need.
FROM ${BASE_IMAGE} AS docker-cli
RUN apt-get update -qq \
 && cd /tmp && apt-get download docker.io \
 && dpkg-deb -x docker.io_*.deb x && install -m 0755 x/usr/bin/docker /usr/local/bin/docker \
 && rm -rf /var/lib/apt/lists/* /tmp/*

FROM ${BASE_IMAGE}
# What a node needs, as `mk8s doctor` lists it: iptables, iproute2, the CNI
# plugins, and busybox-static/curl/dnsutils for the built-in images.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      iptables iproute2 procps containernetworking-plugins busybox-static curl dnsutils ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker
WORKDIR /opt/mk8s
# Runtime dependencies: a layer rebuilt only when the lock file changes.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force >/dev/null 2>&1
# The compiled project (images/rootfs: the built-in images' files).
COPY --from=build /opt/mk8s/dist ./dist
COPY images/rootfs ./images/rootfs
COPY labs ./labs
RUN rm -rf dist/testkit dist/bench && chmod +x dist/cli/main.js && ln -s /opt/mk8s/dist/cli/main.js /usr/local/bin/mk8s
ENV MK8S_DATA=/var/lib/mk8s
CMD ["mk8s", "--help"]

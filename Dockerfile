# syntax=docker/dockerfile:1
# Build stage: the Swift 6 toolchain and the -dev packages Cairn links against.
FROM swift:6.1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        'libuv1-dev=1.44.*' 'libsodium-dev=1.0.18*' 'liblmdb-dev=0.9.24*' 'pkg-config=1.8.*' \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
# Sources/CairnAPI/openapi.yaml links to it: the API's types and client are generated from it at build time.
COPY Docs/openapi.yaml ./Docs/openapi.yaml
COPY Tests ./Tests
RUN swift build -c release --product cairn --static-swift-stdlib \
    && install -D .build/release/cairn /out/cairn

# Run stage: slim Debian with the runtime libraries only.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        'libuv1=1.44.*' 'libsodium23=1.0.18*' 'liblmdb0=0.9.24*' 'libcurl4=7.88.*' 'curl=7.88.*' \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 7700 --user-group --home-dir /var/lib/cairn --create-home cairn
COPY --from=build /out/cairn /usr/local/bin/cairn
COPY Config/cairn.toml /etc/cairn/cairn.toml
ENV CAIRN_HOME=/var/lib/cairn
USER 7700:7700
VOLUME ["/var/lib/cairn"]
EXPOSE 7700 7701
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD ["curl", "-fsS", "http://127.0.0.1:7701/healthz"]
ENTRYPOINT ["/usr/local/bin/cairn"]
CMD ["node", "--config", "/etc/cairn/cairn.toml", "--api", "0.0.0.0:7701"]

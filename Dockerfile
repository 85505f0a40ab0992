# The image of the assume-role container action: one static binary and the
# CA bundle it needs to reach STS over TLS, nothing else.
#
# A release does not build this file: it assembles the same final stage from
# cross-compiled binaries (internal/cmd/release, which refuses to run if this
# stage changes shape) and action.yml of the release commit names that image
# by digest. This file is what `uses: ./` and a branch or SHA of main build.
#
# The runner builds it with `docker build -f Dockerfile <this directory>`,
# without build arguments (runner-contract §1.1), so every default here is
# the production one. GO_IMAGE lets scripts/container-test.sh build it where
# no registry is reachable, from a builder assembled from the host's Go; by
# default it names the stage below.
ARG GO_IMAGE=golang

# The builder, pinned by digest (the tag says which line it follows), in a
# FROM line of its own because Dependabot's docker ecosystem updates FROM
# lines but not ARG defaults (dependabot-core#2057). It must carry the Go of
# go.mod: the golang images set GOTOOLCHAIN=local.
FROM golang:1.26-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS golang

FROM ${GO_IMAGE} AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
# .dockerignore lets in only the sources of the binary.
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/assume-role . \
 && ln -s /assume-role /out/cleanup

FROM scratch
LABEL org.opencontainers.image.title="assume-role" \
      org.opencontainers.image.description="Assume an AWS IAM role from a GitHub Actions step: one STS call, every secret masked" \
      org.opencontainers.image.source="https://github.com/assume-role/assume-role" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# /cleanup links to the binary: the post stage's post-entrypoint takes one
# executable and no arguments, so the binary tells the stages apart by name.
COPY --from=build /out/ /
# No USER: the runner starts the container without --user and mounts its
# file-command files (GITHUB_ENV, GITHUB_OUTPUT, ...) owned by the runner's
# own user, and GitHub's docs require container actions to run as the
# image's default user, root. A non-root USER could not append to them.
# Exec form with an absolute path: there is no shell in the image, and the
# runner's --entrypoint takes a single executable.
ENTRYPOINT ["/assume-role"]

# The builder is a build argument so that the image can be built where no
# registry is reachable, from a locally made Go image (see scripts/).
ARG GO_IMAGE=golang:1.26-bookworm

FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY internal/ ./internal/
RUN go build -ldflags="-s -w" -o /out/assume-role .

FROM scratch
LABEL org.opencontainers.image.title="assume-role" \
      org.opencontainers.image.description="Assume an AWS IAM role from a GitHub Actions step: one STS call, every secret masked" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/assume-role /assume-role
# No USER: the runner mounts its file-command files owned by its own user and
# starts the container without --user; GitHub requires container actions to
# run as the image's default user, root.
ENTRYPOINT ["/assume-role"]

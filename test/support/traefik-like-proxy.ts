// The Traefik-faithful proxy lives with the dev edge (npm start runs it); tests use the same one.
export { startEchoUpstream, startTraefikLikeProxy, type TraefikLikeProxy } from '../../apps/dev-edge/src/traefik-like-proxy';

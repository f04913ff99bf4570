{{/* Names: <release>-cameleer-saas unless the release is already called so; 63 characters at most. */}}
{{- define "cameleer-saas.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cameleer-saas.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Every pod of the release (API and migration Job): what the NetworkPolicy selects. */}}
{{- define "cameleer-saas.podSelectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The API pods only: what the Services, the PDB and the spread constraints select. */}}
{{- define "cameleer-saas.apiSelectorLabels" -}}
{{ include "cameleer-saas.podSelectorLabels" . }}
app.kubernetes.io/component: api
{{- end -}}

{{- define "cameleer-saas.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if eq $tag "latest" -}}{{- fail "image.tag must name a release, not latest" -}}{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "cameleer-saas.publicUrl" -}}
{{- default (printf "https://%s" .Values.hosts.api) .Values.publicUrl -}}
{{- end -}}

{{- define "cameleer-saas.edgeAuthHost" -}}
{{- default (printf "auth.%s" .Values.hosts.tenantBaseDomain) .Values.hosts.edgeAuth -}}
{{- end -}}

{{/* The host of logto.endpoint, to keep it apart from the edge auth host. */}}
{{- define "cameleer-saas.logtoHost" -}}
{{- (urlParse .Values.logto.endpoint).host -}}
{{- end -}}

{{/* Secret names: the chart's own when the values carry the secret, else the operator's existing Secret. */}}
{{- define "cameleer-saas.databaseSecret" -}}
{{- if .Values.database.url -}}{{ include "cameleer-saas.fullname" . }}-database{{- else -}}{{ required "database.existingSecret or database.url must be set" .Values.database.existingSecret }}{{- end -}}
{{- end -}}
{{- define "cameleer-saas.databaseSecretKey" -}}
{{- if .Values.database.url -}}DATABASE_URL{{- else -}}{{ .Values.database.existingSecretKey }}{{- end -}}
{{- end -}}

{{- define "cameleer-saas.m2mSecret" -}}
{{- if .Values.logto.m2m.appId -}}{{ include "cameleer-saas.fullname" . }}-logto-m2m{{- else -}}{{ required "logto.m2m.existingSecret or logto.m2m.appId/appSecret must be set" .Values.logto.m2m.existingSecret }}{{- end -}}
{{- end -}}

{{- define "cameleer-saas.edgeAppSecret" -}}
{{- if .Values.logto.edgeApp.appId -}}{{ include "cameleer-saas.fullname" . }}-logto-edge{{- else -}}{{ required "logto.edgeApp.existingSecret or logto.edgeApp.appId/appSecret must be set while sessions are enabled" .Values.logto.edgeApp.existingSecret }}{{- end -}}
{{- end -}}

{{/* The Secret with the webhook signing key(s): the chart's when the values carry the key, else the operator's. */}}
{{- define "cameleer-saas.webhookSecret" -}}
{{- if .Values.logto.webhook.signingKey -}}{{ include "cameleer-saas.fullname" . }}-logto-webhook{{- else -}}{{ required "logto.webhook.existingSecret or logto.webhook.signingKey must be set while the webhook is enabled" .Values.logto.webhook.existingSecret }}{{- end -}}
{{- end -}}

{{- define "cameleer-saas.keySecret" -}}
{{- $root := index . 0 -}}{{- $purpose := index . 1 -}}
{{- default (printf "%s%s" $root.Values.keys.secretPrefix $purpose) (index $root.Values.keys.existingSecrets $purpose) -}}
{{- end -}}

{{/* Go regexp for the tenant hosts: one DNS label below the base domain, dots escaped. */}}
{{- define "cameleer-saas.tenantHostRegexp" -}}
{{- printf "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.%s$" (.Values.hosts.tenantBaseDomain | replace "." "\\.") -}}
{{- end -}}

{{/* The forward-auth endpoint as Traefik (in another namespace) reaches it: the dedicated Service, never a public URL. */}}
{{- define "cameleer-saas.forwardAuthAddress" -}}
{{- printf "http://%s-forward-auth.%s.svc.cluster.local:%d/api/auth/verify" (include "cameleer-saas.fullname" .) .Release.Namespace (int .Values.ports.forwardAuth) -}}
{{- end -}}

{{/* Excluded from every public route, in any spelling Traefik normalises to it (as in docker-compose.prod.yml). */}}
{{- define "cameleer-saas.notVerify" -}}
!PathRegexp(`(?i)^/api/auth/verify`)
{{- end -}}

{{/* The headers forward-auth emits (IDENTITY_HEADER_NAMES in libs/forward-auth/src/decision.ts), stripped from client requests. */}}
{{- define "cameleer-saas.identityHeaders" -}}
- X-Cameleer-Tenant-Id
- X-Cameleer-Tenant-Slug
- X-Cameleer-Subject
- X-Cameleer-Principal
- X-Cameleer-Scopes
- X-Cameleer-License-Tier
- X-Cameleer-Identity
{{- end -}}

{{/* Pod and container security contexts shared by the API and the migration Job. */}}
{{- define "cameleer-saas.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
# The key Secrets are mounted 0440 root:<fsGroup>: readable by uid 10001 through this group only.
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- define "cameleer-saas.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "cameleer-saas.egressRule" -}}
- to:
    {{- toYaml .to | nindent 4 }}
  ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
{{- end }}

{{- define "cameleer-saas.routeTls" -}}
{{- if .Values.traefik.tls.certResolver }}
certResolver: {{ .Values.traefik.tls.certResolver }}
domains:
  - main: {{ .Values.hosts.tenantBaseDomain | quote }}
    sans:
      - {{ printf "*.%s" .Values.hosts.tenantBaseDomain | quote }}
      - {{ .Values.hosts.api | quote }}
      {{- if .Values.sessions.enabled }}
      - {{ include "cameleer-saas.edgeAuthHost" . | quote }}
      {{- end }}
{{- else }}
secretName: {{ required "traefik.tls.secretName or traefik.tls.certResolver must be set" .Values.traefik.tls.secretName }}
{{- end }}
{{- end }}

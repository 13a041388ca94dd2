{{/* Names and labels. */}}
{{- define "psy.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "psy.labels" -}}
app.kubernetes.io/part-of: psy
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one service; args: (dict "root" . "name" "booking"). */}}
{{- define "psy.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{- define "psy.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "psy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ .Values.serviceAccount.name | default (include "psy.fullname" .) }}
{{- else -}}{{ .Values.serviceAccount.name | default "default" }}{{- end -}}
{{- end -}}

{{/* A service's values: defaults overlaid with its own block. */}}
{{- define "psy.svc" -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.defaults) (index .root.Values.services .name)) -}}
{{- end -}}

{{/* Non-root, read-only, no capabilities: every container of the chart. */}}
{{- define "psy.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "psy.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities: { drop: [ALL] }
{{- end -}}

{{- define "psy.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/*
The environment of one service, every name with its <NAME>_ prefix. Only Secret references and
plain values: no ConfigMap, so the pre-install hooks (migrations) can use it before any release
object exists.
*/}}
{{- define "psy.env" -}}
{{- $root := .root -}}{{- $svc := .svc -}}{{- $p := printf "%s_" (upper .name) -}}
{{- $fullname := include "psy.fullname" $root -}}
{{- $plain := dict
  "ENV" $root.Values.env
  "HOST" "0.0.0.0"
  "PORT" (toString $svc.port)
  "LOG_LEVEL" $root.Values.logLevel
  "KAFKA_BOOTSTRAP_SERVERS" $root.Values.kafka.bootstrapServers
  "KAFKA_TOPIC_PREFIX" $root.Values.kafka.topicPrefix
  "JWKS_URL" ($root.Values.jwksUrl | default (printf "http://%s-identity:%v/.well-known/jwks.json" $fullname $root.Values.services.identity.port))
-}}
{{- if eq .name "identity" }}
{{- $_ := set $plain "ESIA_URL" $root.Values.esia.url }}
{{- $_ := set $plain "ESIA_CLIENT_ID" $root.Values.esia.clientId }}
{{- $_ := set $plain "VKID_URL" $root.Values.vkid.url }}
{{- end }}
{{- if eq .name "notify" }}
{{- $_ := set $plain "SMTP_HOST" $root.Values.smtp.host }}
{{- $_ := set $plain "SMTP_PORT" (toString $root.Values.smtp.port) }}
{{- $_ := set $plain "SMTP_START_TLS" (toString $root.Values.smtp.startTls) }}
{{- $_ := set $plain "SMTP_USE_TLS" (toString $root.Values.smtp.useTls) }}
{{- $_ := set $plain "MAIL_FROM" $root.Values.smtp.mailFrom }}
{{- end }}
{{- if eq .name "sessions" }}
{{- $_ := set $plain "SFERUM_URL" $root.Values.sferum.url }}
{{- end }}
{{- range $k, $v := $svc.env }}{{ $_ := set $plain $k (toString $v) }}{{ end }}
{{- range $k, $v := $plain }}
- name: {{ $p }}{{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- if $svc.database.existingSecret }}
{{ include "psy.secretEnv" (dict "name" (print $p "DATABASE_URL") "secret" $svc.database.existingSecret "key" $svc.database.key) }}
{{- end }}
{{ include "psy.secretEnv" (dict "name" (print $p "REDIS_URL") "secret" $root.Values.redis.existingSecret "key" $root.Values.redis.key) }}
{{- if eq .name "identity" }}
{{ include "psy.secretEnv" (dict "name" (print $p "ESIA_CLIENT_SECRET") "secret" $root.Values.esia.existingSecret "key" $root.Values.esia.clientSecretKey) }}
{{- end }}
{{- if eq .name "notify" }}
{{ include "psy.secretEnv" (dict "name" (print $p "SMTP_USERNAME") "secret" $root.Values.smtp.existingSecret "key" $root.Values.smtp.usernameKey "optional" true) }}
{{ include "psy.secretEnv" (dict "name" (print $p "SMTP_PASSWORD") "secret" $root.Values.smtp.existingSecret "key" $root.Values.smtp.passwordKey "optional" true) }}
{{- end }}
{{- if eq .name "sessions" }}
{{ include "psy.secretEnv" (dict "name" (print $p "LINK_SECRET") "secret" $root.Values.sessions.existingSecret "key" $root.Values.sessions.linkSecretKey) }}
{{- end }}
{{- range $k, $ref := $svc.secretEnv }}
{{ include "psy.secretEnv" (dict "name" (print $p $k) "secret" $ref.secret "key" $ref.key) }}
{{- end }}
{{- end -}}

{{/* /tmp is the only writable path (the root filesystem is read-only). */}}
{{- define "psy.tmpVolume" -}}
volumes:
  - name: tmp
    emptyDir: { sizeLimit: 64Mi }
{{- end -}}

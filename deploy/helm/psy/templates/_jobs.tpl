{{/* Shared pod spec bits of the hook Jobs. */}}
{{- define "psy.hookMetadata" -}}
labels:
  {{- include "psy.labels" .root | nindent 2 }}
  app.kubernetes.io/component: {{ .component }}
annotations:
  # Before the rollout on install and on every upgrade; the old Job goes when a new one starts.
  helm.sh/hook: pre-install,pre-upgrade
  helm.sh/hook-weight: {{ .weight | quote }}
  helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}

{{- define "psy.hookPod" -}}
restartPolicy: Never
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- include "psy.podSecurityContext" . | nindent 2 }}
{{- include "psy.tmpVolume" . | nindent 0 }}
{{- end -}}

{{/*
Alembic migrations of one service, before its new pods start (they would also migrate in their
pre-start, but a Job fails the release loudly instead of crash-looping pods).
*/}}
{{- define "psy.migrationJob" -}}
{{- $root := .root -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "psy.fullname" $root }}-{{ .name }}-migrate
  {{- include "psy.hookMetadata" (dict "root" $root "component" "migrations" "weight" 0) | nindent 2 }}
spec:
  backoffLimit: 3
  activeDeadlineSeconds: 600
  template:
    metadata:
      labels:
        {{- include "psy.labels" $root | nindent 8 }}
        app.kubernetes.io/component: migrations
    spec:
      {{- include "psy.hookPod" $root | nindent 6 }}
      containers:
        - name: migrate
          image: {{ include "psy.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["python", "-c"]
          args:
            - |
              import os
              from pathlib import Path
              from psy_platform.migrations import migrate
              migrate(os.environ["{{ upper .name }}_DATABASE_URL"], Path("/app/services/{{ .name }}/migrations"))
          env:
            {{- include "psy.env" . | nindent 12 }}
          resources:
            {{- toYaml .svc.resources | nindent 12 }}
          securityContext:
            {{- include "psy.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
{{- end -}}

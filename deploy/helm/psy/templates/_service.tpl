{{/*
One service: Deployment, Service, PodDisruptionBudget, optional HPA and NetworkPolicy, and its
migrations Job. Args: (dict "root" . "name" "booking").
*/}}
{{- define "psy.service" -}}
{{- $root := .root -}}{{- $name := .name -}}
{{- $svc := include "psy.svc" . | fromYaml -}}
{{- if $svc.enabled -}}
{{- $fullname := printf "%s-%s" (include "psy.fullname" $root) $name -}}
{{- $args := dict "root" $root "name" $name "svc" $svc -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "psy.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "psy.selector" . | nindent 6 }}
  strategy:
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }
  template:
    metadata:
      labels:
        {{- include "psy.labels" $root | nindent 8 }}
        app.kubernetes.io/name: {{ $name }}
      {{- with $root.Values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "psy.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "psy.podSecurityContext" $root | nindent 8 }}
      terminationGracePeriodSeconds: {{ $svc.terminationGracePeriodSeconds }}
      containers:
        - name: {{ $name }}
          image: {{ include "psy.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["python", "-m", "psy_{{ $name }}"]
          ports:
            - { name: http, containerPort: {{ $svc.port }}, protocol: TCP }
          env:
            {{- include "psy.env" $args | nindent 12 }}
          startupProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 2
            failureThreshold: 60
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 5
            timeoutSeconds: 4
            failureThreshold: 2
          lifecycle:
            preStop:
              # exec, not the sleep action: that one needs Kubernetes 1.30+.
              exec: { command: ["sleep", "{{ $svc.preStopSleepSeconds }}"] }
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- include "psy.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
      {{- include "psy.tmpVolume" $root | nindent 6 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "psy.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
spec:
  type: ClusterIP
  selector:
    {{- include "psy.selector" . | nindent 4 }}
  ports:
    - { name: http, port: {{ $svc.port }}, targetPort: http, protocol: TCP }
{{- if $svc.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "psy.labels" $root | nindent 4 }}
spec:
  maxUnavailable: {{ $svc.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "psy.selector" . | nindent 6 }}
{{- end }}
{{- if $svc.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "psy.labels" $root | nindent 4 }}
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: {{ $fullname }} }
  minReplicas: {{ $svc.autoscaling.minReplicas }}
  maxReplicas: {{ $svc.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: { type: Utilization, averageUtilization: {{ $svc.autoscaling.targetCPUUtilizationPercentage }} }
{{- end }}
{{- if $root.Values.networkPolicy.enabled }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "psy.labels" $root | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "psy.selector" . | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - ports: [{ port: http, protocol: TCP }]
      from:
        - podSelector:
            matchLabels: { app.kubernetes.io/instance: {{ $root.Release.Name }} }
        {{- with $root.Values.networkPolicy.from }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end }}
{{- if and $svc.migrations $svc.database.existingSecret }}
---
{{ include "psy.migrationJob" $args }}
{{- end }}
{{- end }}
{{- end -}}

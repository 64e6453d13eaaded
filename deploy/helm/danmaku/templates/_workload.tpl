{{/* The grace period of the gateways: at least preStop sleep + drain window + close margin. */}}
{{- define "danmaku.gatewayGrace" -}}
{{- $g := .Values.gateway -}}
{{- $min := add $g.preStopSleepSeconds $g.drainWindowSeconds $g.closeMarginSeconds -}}
{{- if gt (int $g.terminationGracePeriodSeconds) 0 -}}
{{- if lt (int $g.terminationGracePeriodSeconds) (int $min) -}}
{{- fail (printf "gateway.terminationGracePeriodSeconds: %d (expected: 0 or at least preStopSleepSeconds + drainWindowSeconds + closeMarginSeconds = %d, else Kubernetes kills gateways before their connections are drained)" (int $g.terminationGracePeriodSeconds) (int $min)) -}}
{{- end -}}
{{- $g.terminationGracePeriodSeconds -}}
{{- else -}}
{{- $min -}}
{{- end -}}
{{- end -}}

{{/* One tier's Deployment: (dict "root" $ "tier" "gateway"). */}}
{{- define "danmaku.deployment" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $tier := .tier -}}
{{- $t := index $v $tier -}}
{{- $sel := dict "root" $root "tier" $tier -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "danmaku.fullname" $root }}-{{ $tier }}
  labels:
    {{- include "danmaku.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $tier }}
spec:
  {{- $autoscaled := false }}
  {{- if eq $tier "storage" }}{{ $autoscaled = ne $t.autoscaling.mode "none" }}{{ else }}{{ $autoscaled = $t.autoscaling.enabled }}{{ end }}
  {{- if not $autoscaled }}
  replicas: {{ $t.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "danmaku.selectorLabels" $sel | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "danmaku.selectorLabels" $sel | nindent 8 }}
        {{- with $t.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include "danmaku.envData" $sel | sha256sum }}
        {{- if $v.secrets.create }}
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- end }}
        {{- with $t.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "danmaku.serviceAccountName" $root }}
      enableServiceLinks: false
      {{- if eq $tier "gateway" }}
      terminationGracePeriodSeconds: {{ include "danmaku.gatewayGrace" $root }}
      {{- else }}
      terminationGracePeriodSeconds: {{ $t.terminationGracePeriodSeconds }}
      {{- end }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $t.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      {{- if $t.topologySpread.enabled }}
      topologySpreadConstraints:
        - maxSkew: {{ $t.topologySpread.maxSkew }}
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: {{ $t.topologySpread.whenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- include "danmaku.selectorLabels" $sel | nindent 14 }}
        - maxSkew: {{ $t.topologySpread.maxSkew }}
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: {{ $t.topologySpread.whenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- include "danmaku.selectorLabels" $sel | nindent 14 }}
      {{- end }}
      {{- with $t.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $t.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $t.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ $tier }}
          image: {{ include "danmaku.image" (dict "root" $root "tier" $t) | quote }}
          imagePullPolicy: {{ include "danmaku.pullPolicy" (dict "root" $root "tier" $t) }}
          # The image's entrypoint (java with the container JVM flags, docs/DEPLOY.md) runs the role given here.
          args:
            {{- toYaml $t.args | nindent 12 }}
          envFrom:
            - configMapRef:
                name: {{ include "danmaku.fullname" $root }}-{{ $tier }}
          env:
            {{- include "danmaku.env" $sel | nindent 12 }}
          ports:
            - name: admin
              containerPort: {{ $v.adminPort }}
              protocol: TCP
            {{- if eq $tier "gateway" }}
            - name: ws
              containerPort: {{ $t.port }}
              protocol: TCP
            {{- else if eq $tier "logic" }}
            - name: grpc
              containerPort: {{ $t.grpcPort }}
              protocol: TCP
            - name: http
              containerPort: {{ $t.httpPort }}
              protocol: TCP
            {{- else }}
            - name: http
              containerPort: {{ $t.httpPort }}
              protocol: TCP
            {{- end }}
          # Liveness asks only whether the process answers: never Kafka or Redis, whose outages a restart cannot
          # fix. Readiness is false while starting, draining, or while Kafka is unreachable.
          startupProbe:
            httpGet: {path: /healthz, port: admin}
            {{- toYaml $t.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: {path: /healthz, port: admin}
            {{- toYaml $t.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: {path: /readyz, port: admin}
            {{- toYaml $t.probes.readiness | nindent 12 }}
          {{- if eq $tier "gateway" }}
          lifecycle:
            preStop:
              exec:
                command: ["sleep", "{{ $t.preStopSleepSeconds }}"]
          {{- end }}
          resources:
            {{- toYaml $t.resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.containerSecurityContext | nindent 12 }}
          volumeMounts:
            # Netty unpacks its native libraries here; the root file system is read-only.
            - name: tmp
              mountPath: /tmp
            {{- if and (eq $tier "storage") $t.archive.enabled }}
            - name: archive
              mountPath: {{ $t.archive.dir }}
            {{- end }}
            {{- with $t.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
        {{- if and (eq $tier "storage") $t.archive.enabled }}
        - name: archive
          emptyDir:
            sizeLimit: {{ $t.archive.sizeLimit }}
        {{- end }}
        {{- with $t.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}

{{/* One tier's ConfigMap of DANMAKU_* settings. */}}
{{- define "danmaku.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "danmaku.fullname" .root }}-{{ .tier }}
  labels:
    {{- include "danmaku.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .tier }}
data:
  {{- include "danmaku.envData" . | trim | nindent 2 }}
{{- end -}}

{{/* One tier's PodDisruptionBudget. */}}
{{- define "danmaku.pdb" -}}
{{- $t := index .root.Values .tier -}}
{{- if $t.pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "danmaku.fullname" .root }}-{{ .tier }}
  labels:
    {{- include "danmaku.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .tier }}
spec:
  maxUnavailable: {{ $t.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "danmaku.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/* HPA behavior from the scaleUp / scaleDown knobs of a tier's autoscaling block. */}}
{{- define "danmaku.hpaBehavior" -}}
behavior:
  {{- with .scaleUp }}
  scaleUp:
    stabilizationWindowSeconds: {{ .stabilizationWindowSeconds }}
    selectPolicy: Max
    policies:
      - {type: Percent, value: {{ .percentPerMinute }}, periodSeconds: 60}
      - {type: Pods, value: {{ .podsPerMinute }}, periodSeconds: 60}
  {{- end }}
  scaleDown:
    stabilizationWindowSeconds: {{ .scaleDown.stabilizationWindowSeconds }}
    selectPolicy: Min
    policies:
      - {type: Percent, value: {{ .scaleDown.percentPerMinute }}, periodSeconds: 60}
{{- end -}}

{{/* The release's full name, at most 40 characters so "<full>-gateway" and friends stay short. */}}
{{- define "danmaku.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "danmaku.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "danmaku.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "danmaku.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one tier: call with (dict "root" $ "tier" "gateway"). */}}
{{- define "danmaku.selectorLabels" -}}
app.kubernetes.io/name: {{ include "danmaku.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .tier }}
{{- end -}}

{{- define "danmaku.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "danmaku.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "danmaku.kafkaBootstrap" -}}
{{- if .Values.kafka.bootstrapServers -}}
{{- .Values.kafka.bootstrapServers -}}
{{- else -}}
{{- printf "%s-kafka-bootstrap:9092" .Values.strimzi.clusterName -}}
{{- end -}}
{{- end -}}

{{- define "danmaku.redisUris" -}}
{{- if .Values.redis.uris -}}
{{- join "," .Values.redis.uris -}}
{{- else -}}
{{- printf "redis://%s-leader:6379" .Values.redisOperator.name -}}
{{- end -}}
{{- end -}}

{{- define "danmaku.secretName" -}}
{{- default (include "danmaku.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The image of a tier: (dict "root" $ "tier" .Values.gateway). */}}
{{- define "danmaku.image" -}}
{{- $img := merge (deepCopy (default dict .tier.image)) .root.Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{- define "danmaku.pullPolicy" -}}
{{- $img := merge (deepCopy (default dict .tier.image)) .root.Values.image -}}
{{- $img.pullPolicy -}}
{{- end -}}

{{/* "gateway.batch.window" -> "DANMAKU_GATEWAY_BATCH_WINDOW", the server's rule for environment variables. */}}
{{- define "danmaku.envName" -}}
{{- printf "DANMAKU_%s" (. | upper | replace "." "_" | replace "-" "_") -}}
{{- end -}}

{{/* A setting's value as the server reads it from the environment: lists comma-separated, the rest as text. */}}
{{- define "danmaku.envValue" -}}
{{- if kindIs "slice" . -}}
{{- join "," . -}}
{{- else if kindIs "float64" . -}}
{{- if eq (float64 (int64 .)) . }}{{ int64 . }}{{ else }}{{ . }}{{ end -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/*
The settings of one tier, as a dict of key -> value: what the chart sets itself, then `config`, then the tier's
`config`. Call with (dict "root" $ "tier" "gateway").
*/}}
{{- define "danmaku.settings" -}}
{{- $v := .root.Values -}}
{{- $s := dict -}}
{{- $_ := set $s "admin.host" "0.0.0.0" -}}
{{- $_ := set $s "admin.port" $v.adminPort -}}
{{- $_ := set $s "bus.type" "kafka" -}}
{{- $_ := set $s "bus.kafka.bootstrap-servers" (include "danmaku.kafkaBootstrap" .root) -}}
{{- $_ := set $s "bus.kafka.topic" $v.kafka.topic -}}
{{- $_ := set $s "bus.kafka.partitions" $v.kafka.partitions -}}
{{- $_ := set $s "bus.kafka.replication-factor" $v.kafka.replicationFactor -}}
{{- $_ := set $s "store.type" "redis" -}}
{{- $_ := set $s "store.redis.mode" $v.redis.mode -}}
{{- if not $v.redis.urisSecret.name -}}
{{- $_ := set $s "store.redis.uris" (include "danmaku.redisUris" .root) -}}
{{- end -}}
{{- if $v.log.format }}{{ $_ := set $s "log.format" $v.log.format }}{{ end -}}
{{- if $v.log.level }}{{ $_ := set $s "log.level" $v.log.level }}{{ end -}}
{{- if eq .tier "gateway" -}}
{{- $_ := set $s "gateway.host" "0.0.0.0" -}}
{{- $_ := set $s "gateway.port" $v.gateway.port -}}
{{- $_ := set $s "gateway.drain.window" (printf "%ds" (int $v.gateway.drainWindowSeconds)) -}}
{{- $_ := set $s "gateway.logic.target" (printf "dns:///%s-logic-grpc.%s.svc.%s:%d" (include "danmaku.fullname" .root) .root.Release.Namespace $v.clusterDomain (int $v.logic.grpcPort)) -}}
{{- else if eq .tier "logic" -}}
{{- $_ := set $s "logic.grpc.host" "0.0.0.0" -}}
{{- $_ := set $s "logic.grpc.port" $v.logic.grpcPort -}}
{{- $_ := set $s "logic.http.host" "0.0.0.0" -}}
{{- $_ := set $s "logic.http.port" $v.logic.httpPort -}}
{{- else if eq .tier "storage" -}}
{{- $_ := set $s "storage.http.host" "0.0.0.0" -}}
{{- $_ := set $s "storage.http.port" $v.storage.httpPort -}}
{{- if $v.storage.archive.enabled -}}
{{- $_ := set $s "storage.archive.dir" $v.storage.archive.dir -}}
{{- end -}}
{{- with $v.storage.archive.retention }}{{ $_ := set $s "storage.archive.retention" . }}{{ end -}}
{{- $s3 := $v.storage.archive.s3 -}}
{{- if $s3.enabled -}}
{{- if not $v.storage.archive.enabled }}{{ fail "storage.archive.s3.enabled: true with storage.archive.enabled=false (expected: the archive enabled; its directory stages the open segments)" }}{{ end -}}
{{- if not $s3.bucket }}{{ fail "storage.archive.s3.bucket: empty (expected: the bucket name when storage.archive.s3.enabled=true)" }}{{ end -}}
{{- $_ := set $s "storage.archive.type" "s3" -}}
{{- if $s3.endpoint }}{{ $_ := set $s "storage.archive.s3.endpoint" $s3.endpoint }}{{ end -}}
{{- $_ := set $s "storage.archive.s3.bucket" $s3.bucket -}}
{{- if $s3.prefix }}{{ $_ := set $s "storage.archive.s3.prefix" $s3.prefix }}{{ end -}}
{{- if $s3.region }}{{ $_ := set $s "storage.archive.s3.region" $s3.region }}{{ end -}}
{{- range $k, $val := $s3.settings }}{{ $_ := set $s (printf "storage.archive.s3.%s" $k) $val }}{{ end -}}
{{- end -}}
{{- end -}}
{{- range $k, $val := $v.config }}{{ $_ := set $s $k $val }}{{ end -}}
{{- range $k, $val := (index $v .tier).config }}{{ $_ := set $s $k $val }}{{ end -}}
{{- toJson $s -}}
{{- end -}}

{{/* The ConfigMap data of one tier: DANMAKU_* -> value. */}}
{{- define "danmaku.envData" -}}
{{- $settings := include "danmaku.settings" . | fromJson -}}
{{- range $k := keys $settings | sortAlpha }}
{{ include "danmaku.envName" $k }}: {{ include "danmaku.envValue" (get $settings $k) | quote }}
{{- end -}}
{{- end -}}

{{/* The env of a tier's container: node id, secrets, extra. (dict "root" $ "tier" "gateway"). */}}
{{- define "danmaku.env" -}}
{{- $v := .root.Values -}}
- name: DANMAKU_NODE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- if or $v.secrets.create $v.secrets.existingSecret }}
- name: DANMAKU_TOKEN_HMAC_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "danmaku.secretName" .root }}
      key: {{ $v.secrets.keys.tokenHmacSecret }}
      optional: true
- name: DANMAKU_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "danmaku.secretName" .root }}
      key: {{ $v.secrets.keys.apiKey }}
      optional: true
{{- end }}
{{- if $v.redis.urisSecret.name }}
- name: DANMAKU_STORE_REDIS_URIS
  valueFrom:
    secretKeyRef:
      name: {{ $v.redis.urisSecret.name }}
      key: {{ required "redis.urisSecret.key: empty (expected: the key of the URIs in redis.urisSecret.name)" $v.redis.urisSecret.key }}
{{- end }}
{{- if and (eq .tier "storage") $v.storage.archive.s3.enabled $v.storage.archive.s3.credentialsSecret.name }}
{{- $c := $v.storage.archive.s3.credentialsSecret }}
- name: DANMAKU_STORAGE_ARCHIVE_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $c.name }}
      key: {{ $c.accessKeyKey }}
- name: DANMAKU_STORAGE_ARCHIVE_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $c.name }}
      key: {{ $c.secretKeyKey }}
{{- end }}
{{- if $v.javaToolOptions }}
- name: JAVA_TOOL_OPTIONS
  value: {{ $v.javaToolOptions | quote }}
{{- end }}
{{- with (index $v .tier).extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

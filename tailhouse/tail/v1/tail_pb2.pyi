import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExportTailRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[TraceItem]
    def __init__(self, items: _Optional[_Iterable[_Union[TraceItem, _Mapping]]] = ...) -> None: ...

class ExportTailResponse(_message.Message):
    __slots__ = ("accepted", "rejected", "rows", "errors")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    rejected: int
    rows: int
    errors: _containers.RepeatedCompositeFieldContainer[ItemError]
    def __init__(self, accepted: _Optional[int] = ..., rejected: _Optional[int] = ..., rows: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[ItemError, _Mapping]]] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ("index", "message")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    index: int
    message: str
    def __init__(self, index: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class TraceItem(_message.Message):
    __slots__ = ("script_name", "entrypoint", "script_version", "dispatch_namespace", "script_tags", "durable_object_id", "outcome", "execution_model", "truncated", "cpu_time", "wall_time", "event_timestamp", "fetch", "scheduled", "alarm", "queue", "email", "tail", "rpc", "custom", "other", "logs", "exceptions", "diagnostics_channel_events", "tail_attributes", "preview", "extra")
    SCRIPT_NAME_FIELD_NUMBER: _ClassVar[int]
    ENTRYPOINT_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    DISPATCH_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_TAGS_FIELD_NUMBER: _ClassVar[int]
    DURABLE_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_MODEL_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    CPU_TIME_FIELD_NUMBER: _ClassVar[int]
    WALL_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    FETCH_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    ALARM_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TAIL_FIELD_NUMBER: _ClassVar[int]
    RPC_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELD_NUMBER: _ClassVar[int]
    OTHER_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    EXCEPTIONS_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_CHANNEL_EVENTS_FIELD_NUMBER: _ClassVar[int]
    TAIL_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    script_name: str
    entrypoint: str
    script_version: ScriptVersion
    dispatch_namespace: str
    script_tags: _containers.RepeatedScalarFieldContainer[str]
    durable_object_id: str
    outcome: str
    execution_model: str
    truncated: bool
    cpu_time: float
    wall_time: float
    event_timestamp: float
    fetch: FetchEventInfo
    scheduled: ScheduledEventInfo
    alarm: AlarmEventInfo
    queue: QueueEventInfo
    email: EmailEventInfo
    tail: TailEventInfo
    rpc: JsRpcEventInfo
    custom: CustomEventInfo
    other: _struct_pb2.Struct
    logs: _containers.RepeatedCompositeFieldContainer[TraceLog]
    exceptions: _containers.RepeatedCompositeFieldContainer[TraceException]
    diagnostics_channel_events: _containers.RepeatedCompositeFieldContainer[DiagnosticsChannelEvent]
    tail_attributes: _struct_pb2.Struct
    preview: _struct_pb2.Struct
    extra: _struct_pb2.Struct
    def __init__(self, script_name: _Optional[str] = ..., entrypoint: _Optional[str] = ..., script_version: _Optional[_Union[ScriptVersion, _Mapping]] = ..., dispatch_namespace: _Optional[str] = ..., script_tags: _Optional[_Iterable[str]] = ..., durable_object_id: _Optional[str] = ..., outcome: _Optional[str] = ..., execution_model: _Optional[str] = ..., truncated: _Optional[bool] = ..., cpu_time: _Optional[float] = ..., wall_time: _Optional[float] = ..., event_timestamp: _Optional[float] = ..., fetch: _Optional[_Union[FetchEventInfo, _Mapping]] = ..., scheduled: _Optional[_Union[ScheduledEventInfo, _Mapping]] = ..., alarm: _Optional[_Union[AlarmEventInfo, _Mapping]] = ..., queue: _Optional[_Union[QueueEventInfo, _Mapping]] = ..., email: _Optional[_Union[EmailEventInfo, _Mapping]] = ..., tail: _Optional[_Union[TailEventInfo, _Mapping]] = ..., rpc: _Optional[_Union[JsRpcEventInfo, _Mapping]] = ..., custom: _Optional[_Union[CustomEventInfo, _Mapping]] = ..., other: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., logs: _Optional[_Iterable[_Union[TraceLog, _Mapping]]] = ..., exceptions: _Optional[_Iterable[_Union[TraceException, _Mapping]]] = ..., diagnostics_channel_events: _Optional[_Iterable[_Union[DiagnosticsChannelEvent, _Mapping]]] = ..., tail_attributes: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., preview: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ScriptVersion(_message.Message):
    __slots__ = ("id", "tag", "message")
    ID_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    tag: str
    message: str
    def __init__(self, id: _Optional[str] = ..., tag: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class FetchEventInfo(_message.Message):
    __slots__ = ("request", "response")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    request: FetchRequest
    response: FetchResponse
    def __init__(self, request: _Optional[_Union[FetchRequest, _Mapping]] = ..., response: _Optional[_Union[FetchResponse, _Mapping]] = ...) -> None: ...

class FetchRequest(_message.Message):
    __slots__ = ("url", "method", "headers", "cf")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    URL_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    CF_FIELD_NUMBER: _ClassVar[int]
    url: str
    method: str
    headers: _containers.ScalarMap[str, str]
    cf: _struct_pb2.Struct
    def __init__(self, url: _Optional[str] = ..., method: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., cf: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class FetchResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: int
    def __init__(self, status: _Optional[int] = ...) -> None: ...

class ScheduledEventInfo(_message.Message):
    __slots__ = ("scheduled_time", "cron")
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    scheduled_time: float
    cron: str
    def __init__(self, scheduled_time: _Optional[float] = ..., cron: _Optional[str] = ...) -> None: ...

class AlarmEventInfo(_message.Message):
    __slots__ = ("scheduled_time",)
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    scheduled_time: _timestamp_pb2.Timestamp
    def __init__(self, scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class QueueEventInfo(_message.Message):
    __slots__ = ("queue", "batch_size")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    batch_size: int
    def __init__(self, queue: _Optional[str] = ..., batch_size: _Optional[int] = ...) -> None: ...

class EmailEventInfo(_message.Message):
    __slots__ = ("mail_from", "rcpt_to", "raw_size")
    MAIL_FROM_FIELD_NUMBER: _ClassVar[int]
    RCPT_TO_FIELD_NUMBER: _ClassVar[int]
    RAW_SIZE_FIELD_NUMBER: _ClassVar[int]
    mail_from: str
    rcpt_to: str
    raw_size: int
    def __init__(self, mail_from: _Optional[str] = ..., rcpt_to: _Optional[str] = ..., raw_size: _Optional[int] = ...) -> None: ...

class TailEventInfo(_message.Message):
    __slots__ = ("consumed_events",)
    CONSUMED_EVENTS_FIELD_NUMBER: _ClassVar[int]
    consumed_events: _containers.RepeatedCompositeFieldContainer[TailEventConsumedItem]
    def __init__(self, consumed_events: _Optional[_Iterable[_Union[TailEventConsumedItem, _Mapping]]] = ...) -> None: ...

class TailEventConsumedItem(_message.Message):
    __slots__ = ("script_name",)
    SCRIPT_NAME_FIELD_NUMBER: _ClassVar[int]
    script_name: str
    def __init__(self, script_name: _Optional[str] = ...) -> None: ...

class JsRpcEventInfo(_message.Message):
    __slots__ = ("rpc_method",)
    RPC_METHOD_FIELD_NUMBER: _ClassVar[int]
    rpc_method: str
    def __init__(self, rpc_method: _Optional[str] = ...) -> None: ...

class CustomEventInfo(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TraceLog(_message.Message):
    __slots__ = ("timestamp", "level", "message", "error_info")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_INFO_FIELD_NUMBER: _ClassVar[int]
    timestamp: float
    level: str
    message: _struct_pb2.ListValue
    error_info: _containers.RepeatedCompositeFieldContainer[LogErrorInfo]
    def __init__(self, timestamp: _Optional[float] = ..., level: _Optional[str] = ..., message: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., error_info: _Optional[_Iterable[_Union[LogErrorInfo, _Mapping]]] = ...) -> None: ...

class LogErrorInfo(_message.Message):
    __slots__ = ("name", "message", "stack")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    name: str
    message: str
    stack: str
    def __init__(self, name: _Optional[str] = ..., message: _Optional[str] = ..., stack: _Optional[str] = ...) -> None: ...

class TraceException(_message.Message):
    __slots__ = ("timestamp", "name", "message", "stack")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    timestamp: float
    name: str
    message: str
    stack: str
    def __init__(self, timestamp: _Optional[float] = ..., name: _Optional[str] = ..., message: _Optional[str] = ..., stack: _Optional[str] = ...) -> None: ...

class DiagnosticsChannelEvent(_message.Message):
    __slots__ = ("timestamp", "channel", "message")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    timestamp: float
    channel: str
    message: _struct_pb2.Value
    def __init__(self, timestamp: _Optional[float] = ..., channel: _Optional[str] = ..., message: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

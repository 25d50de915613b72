"""OpenFeature, answered by flagd's own evaluator from a flag set held in memory.

The only module that imports the OpenFeature SDK. The provider evaluates with
`openfeature-flagd-core`, the evaluator `openfeature-provider-flagd` runs in its in-process
and file modes, so a flag file means here exactly what it means to flagd. The file itself
is read, validated and watched by `app.flags.flag_file`; the provider package's own file
mode was measured and left out (deploy/flags/README.md): it logs a bad file again every
half second, accepts files flagd's schema refuses (whose flags then answer the caller's
default), and imports gRPC even to read a file.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from openfeature import api
from openfeature.contrib.hook.opentelemetry import TracingHook
from openfeature.contrib.tools.flagd.core import FlagdCore
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import FlagNotFoundError, OpenFeatureError
from openfeature.flag_evaluation import FlagEvaluationDetails, FlagResolutionDetails, FlagValueType, Reason
from openfeature.hook import HookContext, HookHints
from openfeature.provider import AbstractProvider
from openfeature.provider.metadata import Metadata
from opentelemetry import trace

PROVIDER_NAME: Final = "flagd-file"

type Attributes = Mapping[str, str | bool]
type FlagMetadata = Mapping[str, str | int | float | bool]
type Counter = Callable[[str, str | None, str], None]


class FlagSetRefused(Exception):
    """flagd's evaluator cannot use this flag set (or one of its flags); the message says why."""


def _reason_of(error: Exception) -> str:
    if isinstance(error, OpenFeatureError) and error.error_message:
        return error.error_message
    return str(error) or type(error).__name__


@dataclass(frozen=True)
class Evaluation:
    """A flag's answer: its value, the variant chosen (None for the in-code default), why, and its metadata."""

    value: Any
    variant: str | None
    reason: str
    metadata: FlagMetadata


def context_of(targeting_key: str, attributes: Attributes) -> EvaluationContext:
    return EvaluationContext(targeting_key=targeting_key, attributes=dict(attributes))


class FlagSet:
    """One flag file's flags, parsed by flagd's evaluator; raises `FlagSetRefused` if it cannot parse them."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.evaluator = FlagdCore()
        try:
            # As text: the evaluator rewrites the dictionaries it is given.
            self.evaluator.set_flags(json.dumps(document))
        except Exception as error:  # whatever the evaluator cannot take, it does not get
            raise FlagSetRefused(_reason_of(error)) from None
        self.keys: tuple[str, ...] = tuple(document.get("flags", {}))
        self.metadata: FlagMetadata = self.evaluator.get_flag_set_metadata()

    def trial(self, key: str, default: bool | Mapping[str, object], context: EvaluationContext) -> None:
        """Evaluates one flag as the app will; raises `FlagSetRefused` with flagd's reason if that fails."""
        try:
            if isinstance(default, bool):
                self.evaluator.resolve_boolean_value(key, default, context)
            else:
                self.evaluator.resolve_object_value(key, cast(Mapping[str, FlagValueType], default), context)
        except Exception as error:  # JSON Logic's own errors are not OpenFeature's
            raise FlagSetRefused(_reason_of(error)) from None


class FlagSetProvider(AbstractProvider):
    """Answers from the last flag set it was given; a flag it does not hold gets the caller's default."""

    def __init__(self) -> None:
        super().__init__()
        self._evaluator = FlagdCore()

    def get_metadata(self) -> Metadata:
        return Metadata(name=PROVIDER_NAME)

    def replace(self, flag_set: FlagSet) -> None:
        # One reference swapped: an evaluation sees the old set or the new one, never a mix.
        self._evaluator = flag_set.evaluator
        self.emit_provider_configuration_changed(ProviderEventDetails(flags_changed=list(flag_set.keys)))

    @staticmethod
    def _resolve[T](
        resolve: Callable[[str, T, EvaluationContext | None], FlagResolutionDetails[T]],
        key: str,
        default: T,
        context: EvaluationContext | None,
    ) -> FlagResolutionDetails[T]:
        try:
            return resolve(key, default, context)
        except FlagNotFoundError:
            return FlagResolutionDetails(default, reason=Reason.DEFAULT)

    def resolve_boolean_details(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        return self._resolve(self._evaluator.resolve_boolean_value, flag_key, default_value, evaluation_context)

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        return self._resolve(self._evaluator.resolve_string_value, flag_key, default_value, evaluation_context)

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        return self._resolve(self._evaluator.resolve_integer_value, flag_key, default_value, evaluation_context)

    def resolve_float_details(
        self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[float]:
        return self._resolve(self._evaluator.resolve_float_value, flag_key, default_value, evaluation_context)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        return self._resolve(self._evaluator.resolve_object_value, flag_key, default_value, evaluation_context)


class TelemetryHook(TracingHook):
    """OpenFeature's OpenTelemetry hook (a `feature_flag.evaluation` event on the current span), plus a count.

    The event is built only when the span records, so with telemetry off an evaluation pays
    for the count's no-op alone.
    """

    def __init__(self, count: Counter) -> None:
        super().__init__()
        self._count = count

    def finally_after(self, hook_context: HookContext, details: FlagEvaluationDetails[Any], hints: HookHints) -> None:
        self._count(details.flag_key, details.variant, str(details.reason or Reason.UNKNOWN).lower())
        if trace.get_current_span().is_recording():
            super().finally_after(hook_context, details, hints)  # pyright: ignore[reportUnknownMemberType]


def _evaluation(details: FlagEvaluationDetails[Any]) -> Evaluation:
    return Evaluation(
        value=details.value,
        variant=details.variant,
        reason=str(details.reason or Reason.UNKNOWN).lower(),
        metadata=details.flag_metadata,
    )


_client = api.get_client()


def boolean(key: str, default: bool, context: EvaluationContext) -> Evaluation:
    return _evaluation(_client.get_boolean_details(key, default, context))


def json_object(key: str, default: Mapping[str, object], context: EvaluationContext) -> Evaluation:
    return _evaluation(_client.get_object_details(key, cast(Mapping[str, FlagValueType], default), context))


def install(provider: FlagSetProvider, *, count: Counter | None) -> None:
    """Makes `provider` the process's flag source; with `count`, the telemetry hook runs on every evaluation."""
    api.set_provider_and_wait(provider)
    if count is not None:
        api.add_hooks([TelemetryHook(count)])


def uninstall() -> None:
    """Back to OpenFeature's no-op provider: every flag answers its in-code default."""
    api.shutdown()

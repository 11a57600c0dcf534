from __future__ import annotations

from typing import cast

from django import forms

from statesync.core import catalog
from statesync.district.models import MODE_HELP, Mode
from statesync.district.services import selective


class BatchForm(forms.Form):
    objects = forms.MultipleChoiceField(
        choices=[(n, n) for n in catalog.NAMES],
        error_messages={"required": "Tick at least one DIS object to resync."},
    )
    check_dependencies = forms.BooleanField(required=False, initial=True)
    mode = forms.ChoiceField(
        choices=[(m.value, f"{m.label} — {MODE_HELP[m]}") for m in Mode],
        initial=Mode.DIFFERENTIAL,
        widget=forms.RadioSelect,
    )
    school_year = forms.TypedChoiceField(coerce=int, required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        """`years`: the school years the batch tool resyncs now (SchoolYear.offered)."""
        super().__init__(*args, **kwargs)
        self.years = years
        field = cast(forms.TypedChoiceField, self.fields["school_year"])
        field.choices = [(y, catalog.year_label(y)) for y in years]
        field.error_messages["invalid_choice"] = (
            "School year %(value)s is not open for resync; the batch tool resyncs "
            + " and ".join(catalog.year_label(y) for y in years)
            + "."
        )

    def clean_school_year(self) -> int:
        return self.cleaned_data.get("school_year") or self.years[0]


class SelectiveForm(forms.Form):
    object = forms.ChoiceField(
        choices=[(name, name) for name in selective.OBJECTS],
        initial=selective.OBJECTS[0],
    )
    ids = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "e.g. 1201, 1202 1300"}),
        max_length=2_000_000,
        error_messages={"required": "Enter at least one ID."},
    )

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("ids")
        if text is None:
            return cleaned
        try:
            parsed = selective.parse_ids(text)
        except selective.SelectionError as exc:
            raise forms.ValidationError(str(exc)) from None
        if not parsed.ids:
            shown = ", ".join(parsed.not_ids[:10])
            raise forms.ValidationError(
                f"No IDs found: IDs are whole numbers. These are not IDs: {shown}."
            )
        cleaned["parsed"] = parsed
        return cleaned

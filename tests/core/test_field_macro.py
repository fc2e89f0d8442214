"""The field macro draws plain WTForms fields itself (inputs, checkboxes, radios, selects:
cheaper than the widgets' html_params on a filter form with a select of every assessor). Its HTML
must be byte for byte what the widgets drew, which the macro as it was (REFERENCE) shows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from portfolio.core.forms import CheckboxesField, choices

# The macro as it was, drawing every field with its widget.
REFERENCE = """
{% macro field(f, hint=None) -%}
{% set hint = hint or f.description %}
{% set described = [] %}
{% if hint %}{% set _ = described.append(f.id ~ '-hint') %}{% endif %}
{% if f.errors %}{% set _ = described.append(f.id ~ '-error') %}{% endif %}
{% if f.type in ('RadioField', 'CheckboxesField') %}
<fieldset class="field{% if f.errors %} has-error{% endif %}" id="{{ f.id }}"{% if described %} aria-describedby="{{ described|join(' ') }}"{% endif %}>
  <legend>{{ f.label.text }}</legend>
  {% if hint %}<p class="hint" id="{{ f.id }}-hint">{{ hint }}</p>{% endif %}
  {% if f.errors %}<p class="error" id="{{ f.id }}-error"><span class="visually-hidden">Error:</span> {{ f.errors|join(' ') }}</p>{% endif %}
  <ul class="choices">
  {% for option in f %}
    <li>{{ option() }} {{ option.label() }}</li>
  {% endfor %}
  </ul>
</fieldset>
{% elif f.type == 'BooleanField' %}
<div class="field checkbox{% if f.errors %} has-error{% endif %}">
  {% if f.errors %}<p class="error" id="{{ f.id }}-error"><span class="visually-hidden">Error:</span> {{ f.errors|join(' ') }}</p>{% endif %}
  {{ f(**({'aria-describedby': described|join(' ')} if described else {})) }} {{ f.label() }}
</div>
{% else %}
<div class="field{% if f.errors %} has-error{% endif %}">
  {{ f.label() }}
  {% if hint %}<p class="hint" id="{{ f.id }}-hint">{{ hint }}</p>{% endif %}
  {% if f.errors %}<p class="error" id="{{ f.id }}-error"><span class="visually-hidden">Error:</span> {{ f.errors|join(' ') }}</p>{% endif %}
  {% set attrs = {} %}
  {% if described %}{% set _ = attrs.update({'aria-describedby': described|join(' ')}) %}{% endif %}
  {% if f.errors %}{% set _ = attrs.update({'aria-invalid': 'true'}) %}{% endif %}
  {% if f.flags.required %}{% set _ = attrs.update({'required': True}) %}{% endif %}
  {{ f(**attrs) }}
</div>
{% endif %}
{%- endmacro %}
{{ field(form[name]) }}
"""
SHIPPED = '{% from "_macros/forms.html" import field %}{{ field(form[name]) }}'


class Everything(Form):  # type: ignore[misc]
    text = StringField("Words <&>", validators=[Optional(), Length(max=100)], description="A hint")
    needed = StringField("Needed", validators=[DataRequired(), Length(min=2, max=5)])
    styled = StringField(
        "Styled",
        render_kw={
            "class_": "wide",
            "data_role": "x",
            "aria_label": 'Say "it"',
            "spellcheck": False,
        },
    )
    email = EmailField("Email", validators=[DataRequired(), Email()])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=12)],
        render_kw={"autocomplete": "new-password"},
    )
    search = SearchField("Search", validators=[Length(max=10)])
    agree = BooleanField("Agree", description="Tick it")
    agree_needed = BooleanField("Agree now", validators=[DataRequired()])
    roles = CheckboxesField(
        "Roles", choices=choices([("a", "A & co"), ("b", "B")]), validators=[DataRequired()]
    )
    colour = RadioField("Colour", choices=choices([("r", "Red"), ("g", 'Green "g"')]))
    pick = SelectField("Role", choices=choices([("", "Any"), ("a", "A & B"), ("b", 'Say "b"')]))
    needed_pick = SelectField(
        "Needed pick",
        choices=choices([("", "Choose"), ("a", "A")]),
        validators=[DataRequired()],
        description="Pick one",
    )
    number = SelectField(
        "Id",
        coerce=int,
        choices=[SelectChoice(1, "One"), SelectChoice(2, "Two"), SelectChoice(3, "")],
    )
    option_kw = SelectField("Kw", choices=[SelectChoice("a", "A", render_kw={"disabled": True})])
    grouped = SelectField(
        "Grouped",
        choices=[SelectChoice("a", "A", optgroup="G1"), SelectChoice("b", "B", optgroup="G2")],
    )
    select_kw = SelectField("Styled", choices=choices([("a", "A")]), render_kw={"class": "wide"})
    empty = SelectField("Empty", choices=[])
    when = DateField("When")
    bounded = DateField("Bounded", render_kw={"min": "2026-01-01", "max": date(2026, 12, 31)})
    count = IntegerField("Count")
    notes = TextAreaField("Notes", render_kw={"rows": 2})
    hidden = HiddenField("Hidden")


FORMDATA: list[dict[str, Any]] = [
    {},
    {
        "text": 'a "quoted" <b>',
        "needed": "toolong",
        "styled": "x",
        "email": "nope",
        "password": "secret",
        "search": "s" * 20,
        "agree": "y",
        "roles": ["a", "b"],
        "colour": "g",
        "pick": "a",
        "needed_pick": "",
        "number": "2",
        "when": "not a date",
        "count": "7",
        "notes": "<hi>",
        "hidden": "h",
    },
    {"roles": ["b"], "colour": "zz", "pick": "zz", "agree_needed": "1"},
]


@pytest.mark.parametrize("data", FORMDATA)
@pytest.mark.parametrize("name", [f.name for f in Everything()])
def test_each_field_drawn_as_its_widget_draws_it(
    app: Flask, data: dict[str, Any], name: str
) -> None:
    with app.test_request_context():
        form = Everything(formdata=MultiDict(data))
        if data:
            form.validate()
        shipped = render_template_string(SHIPPED, form=form, name=name).strip()
        assert shipped == render_template_string(REFERENCE, form=form, name=name).strip()

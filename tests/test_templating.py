"""The template sandbox: rule authors' templates may read values, never reach Python's insides or change data."""

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from riskcheck.templating import page_environment, render_text, text_environment


@pytest.mark.parametrize("make", [text_environment, page_environment])
def test_a_template_cannot_change_data_or_reach_internals_even_after_safe_reads(make):
    env = make()
    context = {"kinds": ["parent", "child"], "person": {"name": "A"}}
    # Reads of the same types first, so a remembered verdict on a safe attribute is in place.
    assert render_text(env.from_string("{{ person.name }} {{ kinds | length }} {{ kinds.index('child') }}"),
                       context) == "A 2 1"
    with pytest.raises(SecurityError):
        render_text(env.from_string("{{ kinds.append('spouse') }}"), context)
    with pytest.raises(SecurityError):
        render_text(env.from_string("{{ person.clear() }}"), context)
    assert context == {"kinds": ["parent", "child"], "person": {"name": "A"}}
    for reach in ("{{ person.__class__ }}", "{{ kinds.__class__.__mro__ }}", "{{ render.__globals__ }}"):
        with pytest.raises((SecurityError, UndefinedError)):
            render_text(env.from_string(reach), {**context, "render": render_text})


@pytest.mark.parametrize("make", [text_environment, page_environment])
def test_a_records_fields_read_as_its_keys_and_its_methods_stay_methods(make):
    """A record is a dict: `r.name` reads its field, a name the dict has as a method stays the method, a field
    it lacks is undefined, and a name with an underscore first is judged by jinja2's own checks."""
    env = make()
    record = {"name": "A", "items": "a field named items", "_note": "n"}
    page = "{{ r.name }}|{{ r['items'] }}|{{ r.items() | list | length }}|{{ r._note }}|{{ r.get('name') }}"
    assert render_text(env.from_string(page), {"r": record}) == "A|a field named items|3|n|A"
    with pytest.raises(UndefinedError):
        render_text(env.from_string("{{ r.nmae }}"), {"r": record})
    with pytest.raises((SecurityError, UndefinedError)):
        render_text(env.from_string("{{ r.__class__ }}"), {"r": record})

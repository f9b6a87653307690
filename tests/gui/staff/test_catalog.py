"""The catalog page and its editor: add a reward, change one, list or unlist it."""

from __future__ import annotations

from tests.gui.staff.common import login, page, wait_message


def test_a_new_reward_is_added_with_its_three_names(gui, roster):
    login(gui, roster)
    gui.press("tab", "catalog")
    gui.press("add_item")
    assert page(gui).name == "catalog_edit" and gui.app.screen("staff").tab == "catalog"
    names = {w.action: w for w in gui.walk() if str(getattr(w, "action", "")).startswith("name:")}
    assert all(w.text == "" for w in names.values())
    # Nothing to save without a Simplified Chinese name: Save greyed, one line says why.
    assert gui.find("save_item").disabled and "请填写简体中文名称" in gui.texts()
    names["name:zh-Hans"].text = "雨伞"
    gui.settle()
    assert not gui.find("save_item").disabled and "请填写简体中文名称" not in gui.texts()
    names["name:zh-Hant"].text = "雨傘"
    names["name:en"].text = "Umbrella"
    gui.press("cost_up")
    gui.press("kind", "privilege")  # the typed names stay: nothing is rebuilt
    assert names["name:en"].text == "Umbrella"
    gui.press("save_item")
    wait_message(gui, "已保存")
    assert page(gui).name == "catalog" and "雨伞" in gui.texts()
    item = next(i for i in gui.store.catalog() if i.names.get("zh-Hans") == "雨伞")
    assert item.cost == 20 and item.names["en"] == "Umbrella" and item.kind == "privilege"


def test_a_cost_of_200_is_typed_not_tapped_twenty_times(gui, roster):
    login(gui, roster)
    gui.press("tab", "catalog")
    gui.press("edit_item", "towel")
    assert gui.find("save_item").disabled  # nothing changed yet
    gui.press("cost_type")
    for digit in "200":
        gui.press("numpad_digit", digit, settle=False)
    gui.press("numpad_ok")
    assert gui.find("cost_type").text == "200" and not gui.find("save_item").disabled
    gui.press("save_item")
    wait_message(gui, "已保存")
    assert gui.store.catalog_item("towel").cost == 200


def test_an_edit_keeps_the_picture_and_can_unlist_the_reward(gui, roster):
    login(gui, roster)
    gui.press("tab", "catalog")
    before = gui.store.catalog_item("towel")
    gui.press("edit_item", "towel")
    assert gui.find("name:zh-Hans").text == before.names["zh-Hans"]
    toggle = gui.find("toggle_active")
    assert toggle.text == "下架" and "现在上架中" in gui.texts()  # says what pressing it does
    gui.press("toggle_active")
    assert gui.find("toggle_active").text == "上架" and "现在已下架" in gui.texts()
    gui.press("save_item")
    wait_message(gui, "已保存")
    after = gui.store.catalog_item("towel")
    assert not after.active and after.image == before.image and after.cost == before.cost
    gui.press("edit_item", "towel")
    gui.press("cancel_edit")  # changed nothing
    assert page(gui).name == "catalog"
    assert not gui.store.catalog_item("towel").active

"""Document totals and VAT breakdown recomputed from the lines and document-level allowances and
charges, as a sender's software would after changing them, so that an edit of the extended
generator can leave a document coherent except for the rule it aims at.

What is recomputed (each syntax's elements for the same EN 16931 terms):
  BT-106 sum of line net amounts, BT-107 / BT-108 sums of allowances / charges (written where the
  document has the element, or added when the sum is not zero), BT-109 total without VAT, one VAT
  breakdown (BG-23) per (category, rate) in use with BT-116 taxable amount = lines + charges -
  allowances of that key and BT-117 = round(BT-116 x rate / 100, 2) half up, BT-110 the sum of
  BT-117, BT-112 = BT-109 + BT-110, BT-115 = BT-112 - prepaid + rounding.
A breakdown kept for a key keeps its other children; a new key's breakdown is a copy of the first
one. Categories that require an exemption reason (E, AE, K, G, O: BR-E-10 and its siblings) get
the code of VATEX_CODES where they have none; those that forbid one (S, Z, L, M: BR-S-10 ...)
lose it. Category O has no rate (BR-O-05 and the breakdown's BR-O-09 family). Line net amounts are
taken as written: the line formula is not an EN 16931 rule.
"""
from __future__ import annotations

from copy import deepcopy
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CENT = Decimal("0.01")
NEEDS_REASON = {"E", "AE", "K", "G", "O"}
NO_REASON = {"S", "Z", "L", "M"}
VATEX_CODES = {"E": "VATEX-EU-132", "AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G",
               "O": "VATEX-EU-O"}


def _local(node) -> str:
    return etree.QName(node).localname


def child(node, name: str):
    """The first element child of `node` with local name `name` (None when node is None)."""
    if node is None:
        return None
    return next((c for c in node if isinstance(c.tag, str) and _local(c) == name), None)


def children(node, name: str) -> list:
    if node is None:
        return []
    return [c for c in node if isinstance(c.tag, str) and _local(c) in name.split("|")]


def path(node, *names: str):
    for name in names:
        node = child(node, name)
    return node


def dec(node) -> Decimal:
    if node is None or node.text is None:
        return Decimal(0)
    try:
        return Decimal(node.text.strip())
    except InvalidOperation:
        return Decimal(0)


def money(value: Decimal) -> str:
    """Two decimals; never "-0.00", which a sender's software does not write."""
    value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return str(value.copy_abs() if value.is_zero() else value)


def vat_tax(taxable: Decimal, rate: Decimal | None) -> Decimal:
    if rate is None:
        return Decimal("0.00")
    return (taxable * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _key(category, rate) -> tuple:
    """(category code, rate as a number or None): 25 and 25.00 are one VAT rate."""
    code = (category.text or "").strip() if category is not None else ""
    if rate is None:
        return code, None
    try:
        return code, Decimal((rate.text or "").strip()).normalize()
    except InvalidOperation:
        return code, None


def _new_element(parent, namespace: str, name: str, after_names: tuple[str, ...], text: str | None):
    """A child `name` placed after the last of `after_names` present (first child when none
    is), as the schema orders them. SubElement reuses the prefix in scope for the namespace."""
    node = etree.SubElement(parent, f"{{{namespace}}}{name}")
    node.text = text
    anchor = None
    for candidate in parent:
        if candidate is not node and isinstance(candidate.tag, str) and _local(candidate) in after_names:
            anchor = candidate
    if anchor is not None:
        anchor.addnext(node)
    else:
        parent.insert(0, node)
    return node


class _Sums:
    def __init__(self):
        self.by_key: dict[tuple, Decimal] = {}
        self.rate_text: dict[tuple, str | None] = {}

    def add(self, key: tuple, amount: Decimal, rate_text: str | None) -> None:
        self.by_key[key] = self.by_key.get(key, Decimal(0)) + amount
        self.rate_text.setdefault(key, rate_text)


# ------------------------------------------------------------------------------ UBL
UBL_TOTAL_ORDER = ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount",
                   "AllowanceTotalAmount", "ChargeTotalAmount", "PrepaidAmount",
                   "PayableRoundingAmount", "PayableAmount")


def _set_amount(parent, namespace: str, name: str, value: Decimal, order: tuple,
                currency: str | None, add: bool):
    node = child(parent, name)
    if node is None:
        if not add:
            return
        node = _new_element(parent, namespace, name, order[:order.index(name)], None)
        if currency:
            node.set("currencyID", currency)
    node.text = money(value)


def recompute_ubl(root) -> bool:
    """False when the document has no VAT breakdown or no monetary total to recompute."""
    currency = (child(root, "DocumentCurrencyCode").text or "").strip() \
        if child(root, "DocumentCurrencyCode") is not None else None
    totals = child(root, "LegalMonetaryTotal")
    tax_totals = children(root, "TaxTotal")
    breakdown_total = next((t for t in tax_totals if children(t, "TaxSubtotal")), None)
    if totals is None or breakdown_total is None:
        return False
    sums = _Sums()
    line_sum = Decimal(0)
    for line in children(root, "InvoiceLine|CreditNoteLine"):
        amount = dec(child(line, "LineExtensionAmount"))
        line_sum += amount
        category = path(line, "Item", "ClassifiedTaxCategory")
        rate = child(category, "Percent")
        sums.add(_key(child(category, "ID"), rate), amount, None if rate is None else rate.text)
    allowances = charges = Decimal(0)
    for charge in children(root, "AllowanceCharge"):
        is_charge = (child(charge, "ChargeIndicator").text or "").strip() == "true" \
            if child(charge, "ChargeIndicator") is not None else False
        amount = dec(child(charge, "Amount"))
        if is_charge:
            charges += amount
        else:
            allowances += amount
        category = child(charge, "TaxCategory")
        rate = child(category, "Percent")
        sums.add(_key(child(category, "ID"), rate), amount if is_charge else -amount,
                 None if rate is None else rate.text)
    tax_sum = _rebuild_ubl_breakdown(breakdown_total, sums, currency)
    if child(breakdown_total, "TaxAmount") is not None:
        child(breakdown_total, "TaxAmount").text = money(tax_sum)
    exclusive = line_sum - allowances + charges
    inclusive = exclusive + tax_sum
    payable = inclusive - dec(child(totals, "PrepaidAmount")) + dec(child(totals, "PayableRoundingAmount"))
    for name, value, add in (("LineExtensionAmount", line_sum, True),
                             ("TaxExclusiveAmount", exclusive, True),
                             ("TaxInclusiveAmount", inclusive, True),
                             ("AllowanceTotalAmount", allowances, allowances != 0),
                             ("ChargeTotalAmount", charges, charges != 0),
                             ("PayableAmount", payable, True)):
        _set_amount(totals, CBC_NS, name, value, UBL_TOTAL_ORDER, currency, add)
    return True


def _rebuild_ubl_breakdown(tax_total, sums: _Sums, currency: str | None) -> Decimal:
    subtotals = children(tax_total, "TaxSubtotal")
    template = subtotals[0]
    existing = {}
    for subtotal in subtotals:
        category = child(subtotal, "TaxCategory")
        key = _key(child(category, "ID"), child(category, "Percent"))
        if key in sums.by_key and key not in existing:
            existing[key] = subtotal
        else:
            tax_total.remove(subtotal)
    last = list(existing.values())[-1] if existing else None
    tax_sum = Decimal(0)
    for key, taxable in sums.by_key.items():
        subtotal = existing.get(key)
        if subtotal is None:
            subtotal = deepcopy(template)
            if last is not None:
                last.addnext(subtotal)
            else:
                tax_total.append(subtotal)
            last = subtotal
        category_code, rate = key
        tax = vat_tax(taxable, None if category_code == "O" else rate)
        tax_sum += tax
        for name, value in (("TaxableAmount", taxable), ("TaxAmount", tax)):
            node = child(subtotal, name)
            if node is not None:
                node.text = money(value)
                if currency and "currencyID" in node.attrib:
                    node.set("currencyID", currency)
        category = child(subtotal, "TaxCategory")
        if category is not None:
            _ubl_category(category, category_code, sums.rate_text[key])
    return tax_sum


def _ubl_category(category, code: str, rate_text: str | None) -> None:
    if child(category, "ID") is not None:
        child(category, "ID").text = code
    percent = child(category, "Percent")
    if code == "O" or rate_text is None:
        if percent is not None:
            category.remove(percent)
    elif percent is None:
        _new_element(category, CBC_NS, "Percent", ("ID", "Name"), rate_text)
    else:
        percent.text = rate_text
    reasons = children(category, "TaxExemptionReasonCode|TaxExemptionReason")
    if code in NO_REASON:
        for reason in reasons:
            category.remove(reason)
    elif code in NEEDS_REASON and not reasons:
        _new_element(category, CBC_NS, "TaxExemptionReasonCode", ("ID", "Name", "Percent", "PerUnitAmount"),
                     VATEX_CODES[code])


# ------------------------------------------------------------------------------ CII
CII_TOTAL_ORDER = ("LineTotalAmount", "ChargeTotalAmount", "AllowanceTotalAmount",
                   "TaxBasisTotalAmount", "TaxTotalAmount", "RoundingAmount", "GrandTotalAmount",
                   "TotalPrepaidAmount", "DuePayableAmount")
CII_TAX_ORDER = ("CalculatedAmount", "TypeCode", "ExemptionReason", "BasisAmount",
                 "LineTotalBasisAmount", "AllowanceChargeBasisAmount", "CategoryCode",
                 "ExemptionReasonCode", "TaxPointDate", "DueDateTypeCode", "RateApplicablePercent")


def recompute_cii(root) -> bool:
    transaction = child(root, "SupplyChainTradeTransaction")
    settlement = child(transaction, "ApplicableHeaderTradeSettlement")
    totals = child(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    breakdowns = children(settlement, "ApplicableTradeTax")
    if totals is None or not breakdowns:
        return False
    currency_node = child(settlement, "InvoiceCurrencyCode")
    currency = (currency_node.text or "").strip() if currency_node is not None else None
    sums = _Sums()
    line_sum = Decimal(0)
    for line in children(transaction, "IncludedSupplyChainTradeLineItem"):
        line_settlement = child(line, "SpecifiedLineTradeSettlement")
        amount = dec(path(line_settlement, "SpecifiedTradeSettlementLineMonetarySummation", "LineTotalAmount"))
        line_sum += amount
        tax = child(line_settlement, "ApplicableTradeTax")
        rate = child(tax, "RateApplicablePercent")
        sums.add(_key(child(tax, "CategoryCode"), rate), amount, None if rate is None else rate.text)
    allowances = charges = Decimal(0)
    for charge in children(settlement, "SpecifiedTradeAllowanceCharge"):
        indicator = path(charge, "ChargeIndicator", "Indicator")
        is_charge = indicator is not None and (indicator.text or "").strip() == "true"
        amount = dec(child(charge, "ActualAmount"))
        if is_charge:
            charges += amount
        else:
            allowances += amount
        tax = child(charge, "CategoryTradeTax")
        rate = child(tax, "RateApplicablePercent")
        sums.add(_key(child(tax, "CategoryCode"), rate), amount if is_charge else -amount,
                 None if rate is None else rate.text)
    tax_sum = _rebuild_cii_breakdown(settlement, breakdowns, sums)
    basis = line_sum - allowances + charges
    grand = basis + tax_sum
    due = grand - dec(child(totals, "TotalPrepaidAmount")) + dec(child(totals, "RoundingAmount"))
    for name, value, add in (("LineTotalAmount", line_sum, True),
                             ("ChargeTotalAmount", charges, charges != 0),
                             ("AllowanceTotalAmount", allowances, allowances != 0),
                             ("TaxBasisTotalAmount", basis, True),
                             ("GrandTotalAmount", grand, True),
                             ("DuePayableAmount", due, True)):
        _set_amount(totals, RAM_NS, name, value, CII_TOTAL_ORDER, None, add)
    tax_totals = children(totals, "TaxTotalAmount")
    in_currency = [t for t in tax_totals if t.get("currencyID", currency) == currency] or tax_totals[:1]
    if in_currency:
        in_currency[0].text = money(tax_sum)
    else:
        _set_amount(totals, RAM_NS, "TaxTotalAmount", tax_sum, CII_TOTAL_ORDER, None, True)
        if currency:
            child(totals, "TaxTotalAmount").set("currencyID", currency)
    return True


def _rebuild_cii_breakdown(settlement, breakdowns: list, sums: _Sums) -> Decimal:
    template = breakdowns[0]
    existing = {}
    for breakdown in breakdowns:
        key = _key(child(breakdown, "CategoryCode"), child(breakdown, "RateApplicablePercent"))
        if key in sums.by_key and key not in existing:
            existing[key] = breakdown
        else:
            settlement.remove(breakdown)
    last = list(existing.values())[-1] if existing else None
    tax_sum = Decimal(0)
    for key, taxable in sums.by_key.items():
        breakdown = existing.get(key)
        if breakdown is None:
            breakdown = deepcopy(template)
            if last is not None:
                last.addnext(breakdown)
            else:
                _place_cii_breakdown(settlement, breakdown)
            last = breakdown
        code, rate = key
        tax = vat_tax(taxable, None if code == "O" else rate)
        tax_sum += tax
        for name, value in (("CalculatedAmount", tax), ("BasisAmount", taxable)):
            node = child(breakdown, name)
            if node is not None:
                node.text = money(value)
        if child(breakdown, "CategoryCode") is not None:
            child(breakdown, "CategoryCode").text = code
        percent = child(breakdown, "RateApplicablePercent")
        rate_text = sums.rate_text[key]
        if code == "O" or rate_text is None:
            if percent is not None:
                breakdown.remove(percent)
        elif percent is None:
            _new_element(breakdown, RAM_NS, "RateApplicablePercent", CII_TAX_ORDER[:-1], rate_text)
        else:
            percent.text = rate_text
        reasons = children(breakdown, "ExemptionReason|ExemptionReasonCode")
        if code in NO_REASON:
            for reason in reasons:
                breakdown.remove(reason)
        elif code in NEEDS_REASON and not reasons:
            _new_element(breakdown, RAM_NS, "ExemptionReasonCode", CII_TAX_ORDER[:7], VATEX_CODES[code])
    return tax_sum


def _place_cii_breakdown(settlement, breakdown) -> None:
    """Where the settlement's first ApplicableTradeTax goes: before the billing period and the
    allowances (the schema's order), at the end when none of those is present."""
    for candidate in settlement:
        if isinstance(candidate.tag, str) and _local(candidate) in (
                "BillingSpecifiedPeriod", "SpecifiedTradeAllowanceCharge",
                "SpecifiedLogisticsServiceCharge", "SpecifiedTradePaymentTerms",
                "SpecifiedTradeSettlementHeaderMonetarySummation"):
            candidate.addprevious(breakdown)
            return
    settlement.append(breakdown)


def recompute(root, syntax: str) -> bool:
    return recompute_ubl(root) if syntax == "UBL" else recompute_cii(root)

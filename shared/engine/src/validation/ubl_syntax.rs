//! UBL syntax binding rules of the EN 16931 artefacts: UBL-SR-* (cardinality
//! restrictions of the UBL binding, fatal) and UBL-DT-* (data types).

use crate::binding::ubl::{cac, cbc, CAC, CBC};
use crate::input::xml::{Node, Ns};
use crate::validation::rule::{rule, Out, Rule};

fn vat_scheme(s: Node<'_>) -> bool {
    s.first(&[cac("TaxScheme"), cbc("ID")])
        .is_some_and(|i| i.text().eq_ignore_ascii_case("VAT"))
}

pub(crate) fn check(root: Node<'_>, credit_note: bool, out: &mut Out) {
    let mut sr = |ok: bool, rule: &'static Rule| out.check(ok, rule, "/");
    let sup = root.first(&[cac("AccountingSupplierParty"), cac("Party")]);
    let cus = root.first(&[cac("AccountingCustomerParty"), cac("Party")]);
    let c = |p: Option<Node<'_>>, path: &[(Ns, &str)]| p.map_or(0, |p| p.count(path));
    sr(
        root.count(&[cac("ContractDocumentReference"), cbc("ID")]) <= 1,
        rule!("UBL-SR-01"),
    );
    sr(
        root.count(&[cac("ReceiptDocumentReference"), cbc("ID")]) <= 1,
        rule!("UBL-SR-02"),
    );
    sr(
        root.count(&[cac("DespatchDocumentReference"), cbc("ID")]) <= 1,
        rule!("UBL-SR-03"),
    );
    let n130 = root
        .all(&[cac("AdditionalDocumentReference")])
        .into_iter()
        .filter(|d| {
            d.first(&[cbc("DocumentTypeCode")])
                .is_some_and(|t| t.text() == "130")
        })
        .map(|d| d.count(&[cbc("ID")]))
        .sum::<usize>();
    sr(n130 <= 1, rule!("UBL-SR-04"));
    sr(
        root.count(&[cac("PaymentTerms"), cbc("Note")]) <= 1,
        rule!("UBL-SR-05"),
    );
    sr(root.count(&[cac("InvoicePeriod")]) <= 1, rule!("UBL-SR-08"));
    sr(
        c(sup, &[cac("PartyLegalEntity"), cbc("RegistrationName")]) <= 1,
        rule!("UBL-SR-09"),
    );
    sr(
        c(sup, &[cac("PartyName"), cbc("Name")]) <= 1,
        rule!("UBL-SR-10"),
    );
    sr(
        c(sup, &[cac("PartyLegalEntity"), cbc("CompanyID")]) <= 1,
        rule!("UBL-SR-11"),
    );
    let tax_ids = |p: Option<Node<'_>>, vat: bool| {
        p.map_or(0, |p| {
            p.all(&[cac("PartyTaxScheme")])
                .into_iter()
                .filter(|s| {
                    vat_scheme(*s) == vat && s.first(&[cac("TaxScheme"), cbc("ID")]).is_some()
                })
                .map(|s| s.count(&[cbc("CompanyID")]))
                .sum::<usize>()
        })
    };
    sr(tax_ids(sup, true) <= 1, rule!("UBL-SR-12"));
    sr(tax_ids(sup, false) <= 1, rule!("UBL-SR-13"));
    sr(
        c(sup, &[cac("PartyLegalEntity"), cbc("CompanyLegalForm")]) <= 1,
        rule!("UBL-SR-14"),
    );
    sr(
        c(cus, &[cac("PartyLegalEntity"), cbc("RegistrationName")]) <= 1,
        rule!("UBL-SR-15"),
    );
    sr(
        c(cus, &[cac("PartyIdentification"), cbc("ID")]) <= 1,
        rule!("UBL-SR-16"),
    );
    sr(
        c(cus, &[cac("PartyLegalEntity"), cbc("CompanyID")]) <= 1,
        rule!("UBL-SR-17"),
    );
    sr(tax_ids(cus, true) <= 1, rule!("UBL-SR-18"));
    sr(root.count(&[cac("Delivery")]) <= 1, rule!("UBL-SR-24"));
    sr(count_sepa(root) <= 1, rule!("UBL-SR-29"));
    sr(
        root.count(&[cac("ProjectReference"), cbc("ID")]) <= 1,
        rule!("UBL-SR-39"),
    );
    sr(
        c(cus, &[cac("PartyName"), cbc("Name")]) <= 1,
        rule!("UBL-SR-40"),
    );
    sr(distinct(root, "PaymentID") <= 1, rule!("UBL-SR-44"));
    sr(
        root.count(&[cac("PaymentMeans"), cbc("PaymentDueDate")]) <= 1,
        rule!("UBL-SR-45"),
    );
    let names = root
        .all(&[cac("PaymentMeans"), cbc("PaymentMeansCode")])
        .into_iter()
        .filter(|c| c.attr("name").is_some())
        .count();
    sr(names <= 1, rule!("UBL-SR-46"));
    sr(distinct(root, "PaymentMeansCode") <= 1, rule!("UBL-SR-47"));
    sr(
        root.count(&[cac("InvoicePeriod"), cbc("DescriptionCode")]) <= 1,
        rule!("UBL-SR-49"),
    );
    if let Some(s) = sup {
        sr(s.count(&[cac("PartyTaxScheme")]) <= 2, rule!("UBL-SR-42"));
    }

    for b in root.children_named(CAC, "BillingReference") {
        sr(
            b.count(&[cac("InvoiceDocumentReference")]) <= 1,
            rule!("UBL-SR-06"),
        );
        sr(
            b.first(&[cac("InvoiceDocumentReference"), cbc("ID")])
                .is_some(),
            rule!("UBL-SR-07"),
        );
    }
    if let Some(p) = root.first(&[cac("PayeeParty")]) {
        let seller_reg = sup
            .and_then(|s| s.first(&[cac("PartyLegalEntity"), cbc("RegistrationName")]))
            .map(|e| e.text());
        let payee_names: Vec<&str> = p
            .all(&[cac("PartyName"), cbc("Name")])
            .iter()
            .map(|e| e.text())
            .collect();
        // `(PartyName/Name) != (seller RegistrationName)`: true when some pair differs.
        let differs = seller_reg.is_some_and(|r| payee_names.iter().any(|n| *n != r));
        let non_sepa = p
            .all(&[cac("PartyIdentification"), cbc("ID")])
            .into_iter()
            .filter(|i| {
                i.attr("schemeID")
                    .is_some_and(|s| !s.eq_ignore_ascii_case("SEPA"))
            })
            .count();
        sr(payee_names.len() <= 1 && differs, rule!("UBL-SR-19"));
        sr(non_sepa <= 1 && differs, rule!("UBL-SR-20"));
        sr(
            p.count(&[cac("PartyLegalEntity"), cbc("CompanyID")]) <= 1 && differs,
            rule!("UBL-SR-21"),
        );
    }
    if let Some(t) = root.first(&[cac("TaxRepresentativeParty")]) {
        sr(
            t.count(&[cac("PartyName"), cbc("Name")]) <= 1,
            rule!("UBL-SR-22"),
        );
    }
    if let Some(d) = root.first(&[cac("Delivery")]) {
        sr(
            d.count(&[cac("DeliveryParty"), cac("PartyName"), cbc("Name")]) <= 1,
            rule!("UBL-SR-25"),
        );
    }
    for pm in root.children_named(CAC, "PaymentMeans") {
        sr(pm.count(&[cbc("PaymentID")]) <= 1, rule!("UBL-SR-26"));
        sr(
            pm.count(&[cbc("PaymentMeansCode")]) <= 1,
            rule!("UBL-SR-27"),
        );
        sr(
            pm.count(&[cac("PaymentMandate"), cbc("ID")]) <= 1,
            rule!("UBL-SR-28"),
        );
    }
    for ac in root.children_named(CAC, "AllowanceCharge") {
        match ac.first(&[cbc("ChargeIndicator")]).map(|i| i.text()) {
            Some("false" | "0") => sr(
                ac.count(&[cbc("AllowanceChargeReason")]) <= 1,
                rule!("UBL-SR-30"),
            ),
            Some("true" | "1") => sr(
                ac.count(&[cbc("AllowanceChargeReason")]) <= 1,
                rule!("UBL-SR-31"),
            ),
            _ => {}
        }
    }
    for tt in root.children_named(CAC, "TaxTotal") {
        for st in tt.children_named(CAC, "TaxSubtotal") {
            sr(
                st.count(&[cac("TaxCategory"), cbc("TaxExemptionReason")]) <= 1,
                rule!("UBL-SR-32"),
            );
        }
    }
    for d in root.children_named(CAC, "AdditionalDocumentReference") {
        sr(
            d.count(&[cbc("DocumentDescription")]) <= 1,
            rule!("UBL-SR-33"),
        );
        let code = d.first(&[cbc("DocumentTypeCode")]).map(|c| c.text());
        let scheme = d
            .first(&[cbc("ID")])
            .is_some_and(|i| i.attr("schemeID").is_some());
        let ok = code == Some("130")
            || (credit_note && code == Some("50"))
            || (!scheme && code.is_none());
        sr(ok, rule!("UBL-SR-43"));
    }
    let line_el = if credit_note {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    for l in root.children_named(CAC, line_el) {
        sr(l.count(&[cbc("Note")]) <= 1, rule!("UBL-SR-34"));
        sr(
            l.count(&[cac("OrderLineReference"), cbc("LineID")]) <= 1,
            rule!("UBL-SR-35"),
        );
        sr(l.count(&[cac("InvoicePeriod")]) <= 1, rule!("UBL-SR-36"));
        sr(
            l.count(&[cac("Price"), cac("AllowanceCharge"), cbc("Amount")]) <= 1,
            rule!("UBL-SR-37"),
        );
        sr(
            l.count(&[cac("Item"), cac("ClassifiedTaxCategory")]) == 1,
            rule!("UBL-SR-48"),
        );
        sr(
            l.count(&[cac("Item"), cbc("Description")]) <= 1,
            rule!("UBL-SR-50"),
        );
        sr(
            l.count(&[cac("DocumentReference")]) <= 1,
            rule!("UBL-SR-52"),
        );
    }
    walk(root, out);
}

/// `count(//cac:PartyIdentification/cbc:ID[upper-case(@schemeID) = 'SEPA'])`.
fn count_sepa(root: Node<'_>) -> usize {
    root.descendants()
        .filter(|c| c.is(CAC, "PartyIdentification"))
        .flat_map(|c| c.children_named(CBC, "ID"))
        .filter(|i| {
            i.attr("schemeID")
                .is_some_and(|s| s.eq_ignore_ascii_case("SEPA"))
        })
        .count()
}

/// Number of distinct values of `//cbc:{local}`; only "at most one" is
/// asked, so counting stops at two.
fn distinct(root: Node<'_>, local: &str) -> usize {
    let mut values = root
        .descendants()
        .filter(|c| c.is(CBC, local))
        .map(|c| c.text());
    match values.next() {
        None => 0,
        Some(first) => 1 + usize::from(values.any(|v| v != first)),
    }
}

/// Data-type rules over every element: UBL-SR-51/53 (addresses, tax
/// schemes) and UBL-DT-01/06/07.
fn walk(root: Node<'_>, out: &mut Out) {
    fn go(n: Node<'_>, in_price_ac: bool, out: &mut Out) {
        for c in n.children() {
            let name = c.local_name();
            if c.ns() == CBC {
                if name.ends_with("Amount")
                    && !name.ends_with("PriceAmount")
                    && !in_price_ac
                    && crate::dec::fraction_digits(c.text()) > 2
                {
                    out.fire(rule!("UBL-DT-01"), name.to_owned());
                }
                if name.ends_with("BinaryObject") {
                    if c.attr("mimeCode").is_none() {
                        out.fire(rule!("UBL-DT-06"), name.to_owned());
                    }
                    if c.attr("filename").is_none() {
                        out.fire(rule!("UBL-DT-07"), name.to_owned());
                    }
                }
            } else if c.ns() == CAC {
                match name {
                    "PostalAddress" | "Address" => {
                        let lines = c.children_named(CAC, "AddressLine").count();
                        if lines > 1 {
                            out.fire(rule!("UBL-SR-51"), name.to_owned());
                        }
                    }
                    "PartyTaxScheme" => {
                        let ok = c.first(&[cac("TaxScheme"), cbc("ID")]).is_some()
                            && c.first(&[cbc("CompanyID")]).is_some();
                        if !ok {
                            out.fire(rule!("UBL-SR-53"), name.to_owned());
                        }
                    }
                    _ => {}
                }
                let in_ac = in_price_ac || (name == "AllowanceCharge" && n.local_name() == "Price");
                go(c, in_ac, out);
            }
        }
    }
    go(root, false, out);
}

//! UBL syntax binding rules of the EN 16931 artefacts: UBL-SR-* (cardinality
//! restrictions of the UBL binding, fatal) and UBL-DT-* (data types).

use crate::binding::ubl::{cac, cbc, CAC, CBC};
use crate::input::xml::{Node, Ns};
use crate::validation::business::Out;

fn vat_scheme(s: Node<'_>) -> bool {
    s.first(&[cac("TaxScheme"), cbc("ID")])
        .is_some_and(|i| i.text().eq_ignore_ascii_case("VAT"))
}

pub(crate) fn check(root: Node<'_>, credit_note: bool, out: &mut Out) {
    let mut sr = |ok: bool, id: &'static str, msg: &'static str| {
        if !ok {
            out.fatal(id, msg, "/");
        }
    };
    let sup = root.first(&[cac("AccountingSupplierParty"), cac("Party")]);
    let cus = root.first(&[cac("AccountingCustomerParty"), cac("Party")]);
    let c = |p: Option<Node<'_>>, path: &[(Ns, &str)]| p.map_or(0, |p| p.count(path));
    sr(
        root.count(&[cac("ContractDocumentReference"), cbc("ID")]) <= 1,
        "UBL-SR-01",
        "Contract identifier shall occur maximum once.",
    );
    sr(
        root.count(&[cac("ReceiptDocumentReference"), cbc("ID")]) <= 1,
        "UBL-SR-02",
        "Receive advice identifier shall occur maximum once",
    );
    sr(
        root.count(&[cac("DespatchDocumentReference"), cbc("ID")]) <= 1,
        "UBL-SR-03",
        "Despatch advice identifier shall occur maximum once",
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
    sr(
        n130 <= 1,
        "UBL-SR-04",
        "Invoice object identifier shall occur maximum once",
    );
    sr(
        root.count(&[cac("PaymentTerms"), cbc("Note")]) <= 1,
        "UBL-SR-05",
        "Payment terms shall occur maximum once",
    );
    sr(
        root.count(&[cac("InvoicePeriod")]) <= 1,
        "UBL-SR-08",
        "Invoice period shall occur maximum once",
    );
    sr(
        c(sup, &[cac("PartyLegalEntity"), cbc("RegistrationName")]) <= 1,
        "UBL-SR-09",
        "Seller name shall occur maximum once",
    );
    sr(
        c(sup, &[cac("PartyName"), cbc("Name")]) <= 1,
        "UBL-SR-10",
        "Seller trader name shall occur maximum once",
    );
    sr(
        c(sup, &[cac("PartyLegalEntity"), cbc("CompanyID")]) <= 1,
        "UBL-SR-11",
        "Seller legal registration identifier shall occur maximum once",
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
    sr(
        tax_ids(sup, true) <= 1,
        "UBL-SR-12",
        "Seller VAT identifier shall occur maximum once",
    );
    sr(
        tax_ids(sup, false) <= 1,
        "UBL-SR-13",
        "Seller tax registration shall occur maximum once",
    );
    sr(
        c(sup, &[cac("PartyLegalEntity"), cbc("CompanyLegalForm")]) <= 1,
        "UBL-SR-14",
        "Seller additional legal information shall occur maximum once",
    );
    sr(
        c(cus, &[cac("PartyLegalEntity"), cbc("RegistrationName")]) <= 1,
        "UBL-SR-15",
        "Buyer name shall occur maximum once",
    );
    sr(
        c(cus, &[cac("PartyIdentification"), cbc("ID")]) <= 1,
        "UBL-SR-16",
        "Buyer identifier shall occur maximum once",
    );
    sr(
        c(cus, &[cac("PartyLegalEntity"), cbc("CompanyID")]) <= 1,
        "UBL-SR-17",
        "Buyer legal registration identifier shall occur maximum once",
    );
    sr(
        tax_ids(cus, true) <= 1,
        "UBL-SR-18",
        "Buyer VAT identifier shall occur maximum once",
    );
    sr(
        root.count(&[cac("Delivery")]) <= 1,
        "UBL-SR-24",
        "Deliver to information shall occur maximum once",
    );
    sr(
        count_sepa(root) <= 1,
        "UBL-SR-29",
        "Bank creditor reference shall occur maximum once",
    );
    sr(
        root.count(&[cac("ProjectReference"), cbc("ID")]) <= 1,
        "UBL-SR-39",
        "Project reference shall occur maximum once.",
    );
    sr(
        c(cus, &[cac("PartyName"), cbc("Name")]) <= 1,
        "UBL-SR-40",
        "Buyer trade name shall occur maximum once",
    );
    sr(distinct(root, "PaymentID") <= 1, "UBL-SR-44", "An Invoice may only have one unique PaymentID, but the PaymentID may be used for multiple PaymentMeans");
    sr(
        root.count(&[cac("PaymentMeans"), cbc("PaymentDueDate")]) <= 1,
        "UBL-SR-45",
        "Due Date shall occur maximum once",
    );
    let names = root
        .all(&[cac("PaymentMeans"), cbc("PaymentMeansCode")])
        .into_iter()
        .filter(|c| c.attr("name").is_some())
        .count();
    sr(
        names <= 1,
        "UBL-SR-46",
        "Payment means text shall occur maximum once",
    );
    sr(
        distinct(root, "PaymentMeansCode") <= 1,
        "UBL-SR-47",
        "When there are more than one payment means code, they shall be equal",
    );
    sr(
        root.count(&[cac("InvoicePeriod"), cbc("DescriptionCode")]) <= 1,
        "UBL-SR-49",
        "Value tax point date shall occur maximum once",
    );
    if let Some(s) = sup {
        sr(
            s.count(&[cac("PartyTaxScheme")]) <= 2,
            "UBL-SR-42",
            "Party tax scheme shall occur maximum twice in accounting supplier party",
        );
    }

    for b in root.children_named(CAC, "BillingReference") {
        sr(
            b.count(&[cac("InvoiceDocumentReference")]) <= 1,
            "UBL-SR-06",
            "Preceding invoice reference shall occur maximum once",
        );
        sr(b.first(&[cac("InvoiceDocumentReference"), cbc("ID")]).is_some(), "UBL-SR-07", "If there is a preceding invoice reference, the preceding invoice number shall be present");
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
        sr(
            payee_names.len() <= 1 && differs,
            "UBL-SR-19",
            "Payee name shall occur maximum once, if the Payee is different from the Seller",
        );
        sr(
            non_sepa <= 1 && differs,
            "UBL-SR-20",
            "Payee identifier shall occur maximum once, if the Payee is different from the Seller",
        );
        sr(p.count(&[cac("PartyLegalEntity"), cbc("CompanyID")]) <= 1 && differs, "UBL-SR-21", "Payee legal registration identifier shall occur maximum once, if the Payee is different from the Seller");
    }
    if let Some(t) = root.first(&[cac("TaxRepresentativeParty")]) {
        sr(t.count(&[cac("PartyName"), cbc("Name")]) <= 1, "UBL-SR-22", "Seller tax representative name shall occur maximum once, if the Seller has a tax representative");
    }
    if let Some(d) = root.first(&[cac("Delivery")]) {
        sr(
            d.count(&[cac("DeliveryParty"), cac("PartyName"), cbc("Name")]) <= 1,
            "UBL-SR-25",
            "Deliver to party name shall occur maximum once",
        );
    }
    for pm in root.children_named(CAC, "PaymentMeans") {
        sr(
            pm.count(&[cbc("PaymentID")]) <= 1,
            "UBL-SR-26",
            "Payment reference shall occur maximum once",
        );
        sr(
            pm.count(&[cbc("PaymentMeansCode")]) <= 1,
            "UBL-SR-27",
            "Payment means text shall occur maximum once",
        );
        sr(
            pm.count(&[cac("PaymentMandate"), cbc("ID")]) <= 1,
            "UBL-SR-28",
            "Mandate reference identifier shall occur maximum once",
        );
    }
    for ac in root.children_named(CAC, "AllowanceCharge") {
        match ac.first(&[cbc("ChargeIndicator")]).map(|i| i.text()) {
            Some("false" | "0") => sr(
                ac.count(&[cbc("AllowanceChargeReason")]) <= 1,
                "UBL-SR-30",
                "Document level allowance reason shall occur maximum once",
            ),
            Some("true" | "1") => sr(
                ac.count(&[cbc("AllowanceChargeReason")]) <= 1,
                "UBL-SR-31",
                "Document level charge reason shall occur maximum once",
            ),
            _ => {}
        }
    }
    for tt in root.children_named(CAC, "TaxTotal") {
        for st in tt.children_named(CAC, "TaxSubtotal") {
            sr(
                st.count(&[cac("TaxCategory"), cbc("TaxExemptionReason")]) <= 1,
                "UBL-SR-32",
                "VAT exemption reason text shall occur maximum once",
            );
        }
    }
    for d in root.children_named(CAC, "AdditionalDocumentReference") {
        sr(
            d.count(&[cbc("DocumentDescription")]) <= 1,
            "UBL-SR-33",
            "Supporting document description shall occur maximum once",
        );
        let code = d.first(&[cbc("DocumentTypeCode")]).map(|c| c.text());
        let scheme = d
            .first(&[cbc("ID")])
            .is_some_and(|i| i.attr("schemeID").is_some());
        let ok = code == Some("130")
            || (credit_note && code == Some("50"))
            || (!scheme && code.is_none());
        sr(ok, "UBL-SR-43", "Scheme identifier shall only be used for invoiced object (document type code with value 130 or 50)");
    }
    let line_el = if credit_note {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    for l in root.children_named(CAC, line_el) {
        sr(
            l.count(&[cbc("Note")]) <= 1,
            "UBL-SR-34",
            "Invoice line note shall occur maximum once",
        );
        sr(
            l.count(&[cac("OrderLineReference"), cbc("LineID")]) <= 1,
            "UBL-SR-35",
            "Referenced purchase order line identifier shall occur maximum once",
        );
        sr(
            l.count(&[cac("InvoicePeriod")]) <= 1,
            "UBL-SR-36",
            "Invoice line period shall occur maximum once",
        );
        sr(
            l.count(&[cac("Price"), cac("AllowanceCharge"), cbc("Amount")]) <= 1,
            "UBL-SR-37",
            "Item price discount shall occur maximum once",
        );
        sr(
            l.count(&[cac("Item"), cac("ClassifiedTaxCategory")]) == 1,
            "UBL-SR-48",
            "Invoice lines shall have one and only one classified tax category.",
        );
        sr(
            l.count(&[cac("Item"), cbc("Description")]) <= 1,
            "UBL-SR-50",
            "Item description shall occur maximum once",
        );
        sr(
            l.count(&[cac("DocumentReference")]) <= 1,
            "UBL-SR-52",
            "Document reference shall occur maximum once",
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
                    out.fatal(
                        "UBL-DT-01",
                        "Amount shall be decimal up to two fraction digits",
                        name.to_owned(),
                    );
                }
                if name.ends_with("BinaryObject") {
                    if c.attr("mimeCode").is_none() {
                        out.fatal(
                            "UBL-DT-06",
                            "Binary object elements shall contain the mime code attribute",
                            name.to_owned(),
                        );
                    }
                    if c.attr("filename").is_none() {
                        out.fatal(
                            "UBL-DT-07",
                            "Binary object elements shall contain the file name attribute",
                            name.to_owned(),
                        );
                    }
                }
            } else if c.ns() == CAC {
                match name {
                    "PostalAddress" | "Address" => {
                        let lines = c.children_named(CAC, "AddressLine").count();
                        if lines > 1 {
                            out.fatal(
                                "UBL-SR-51",
                                "An address can only have one third line.",
                                name.to_owned(),
                            );
                        }
                    }
                    "PartyTaxScheme" => {
                        let ok = c.first(&[cac("TaxScheme"), cbc("ID")]).is_some()
                            && c.first(&[cbc("CompanyID")]).is_some();
                        if !ok {
                            out.fatal("UBL-SR-53", "Party tax scheme shall have a tax scheme identifier and a company identifier", name.to_owned());
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

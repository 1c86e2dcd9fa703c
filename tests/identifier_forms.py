"""Sixty-odd identifiers as people type them, by HIPAA Safe Harbor kind (45 CFR 164.514(b)(2)(i)).

Each is a value a case manager might put in any column ("Ref", "Other", "Info"): ``find_identifiers`` must
find it by content, and ``deidentify`` must refuse a carried-out column holding it.
"""

FORMS: list[tuple[str, str]] = [
    # (A) names are found by column name and as free text; by value, a name alone is indistinguishable from a word
    # (B) geographic subdivisions smaller than a state: street addresses, PO boxes, ZIP codes in addresses
    ("street address", "412 Oak Street"),
    ("street address", "17 Elm Rd."),
    ("street address", "1600 Pennsylvania Avenue NW"),
    ("street address", "88 Harbor View"),
    ("street address", "5 Maple"),
    ("street address", "221B Baker Street"),
    ("street address", "PO Box 44"),
    ("street address", "P.O. Box 1203"),
    ("street address", "Apt 4B, 30 Mill Lane"),
    ("street address", "lives at 9 Church Hill, Springfield MA 01105"),
    # (C) dates (except year) directly related to an individual
    ("date", "03/02/1985"),
    ("date", "3/2/85"),
    ("date", "1985-03-02"),
    ("date", "March 2, 1985"),
    ("date", "2 Mar 1985"),
    ("date", "3.2.1985"),
    ("date", "02-Mar-1985"),
    ("date", "Mar. 2nd 1985"),
    ("date", "born 2 March 1985"),
    # (D, E) telephone and fax numbers
    ("phone number", "(413) 555-0142"),
    ("phone number", "413-555-0142"),
    ("phone number", "413.555.0142"),
    ("phone number", "413 555 0142"),
    ("phone number", "4135550142"),
    ("phone number", "+1 413 555 0142"),
    ("phone number", "1-800-555-0199"),
    ("phone number", "555-0142"),
    ("phone number", "555 0142"),
    ("phone number", "+44 20 7946 0958"),
    ("phone number", "+33 1 42 68 53 00"),
    ("phone number", "fax 413-555-0143"),
    # (F) e-mail addresses
    ("e-mail address", "jane.doe@example.org"),
    ("e-mail address", "J_DOE+intake@mail.example.co.uk"),
    ("e-mail address", "jdoe at example dot org"),
    # (G) Social Security numbers
    ("Social Security number", "123-45-6789"),
    ("Social Security number", "123 45 6789"),
    ("Social Security number", "123.45.6789"),
    ("Social Security number", "SSN 123456789"),
    ("Social Security number", "ss# 123-45-6789"),
    # (H-L) medical record, health plan, account, certificate/license numbers
    ("medical record or account number", "MRN 00482913"),
    ("medical record or account number", "MR-4829130"),
    ("medical record or account number", "Medicaid ID 98765432"),
    ("medical record or account number", "acct #55123490"),
    ("medical record or account number", "Member ID: XJH448812937"),
    ("medical record or account number", "policy no. 7781234"),
    ("medical record or account number", "DL S530-4417-8812"),
    ("medical record or account number", "license 44120019"),
    # (M, N) vehicle and device identifiers and serial numbers
    ("medical record or account number", "VIN 1HGCM82633A004352"),
    ("medical record or account number", "plate 7ABC123"),
    ("medical record or account number", "serial SN-20419983"),
    # (O) URLs
    ("URL", "https://facebook.com/jane.doe.85"),
    ("URL", "www.janedoe-recovery.org"),
    ("URL", "instagram.com/janedoe85"),
    # (P) IP addresses
    ("IP address", "192.168.10.44"),
    ("IP address", "10.0.0.1"),
    ("IP address", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    # (Q, R) biometric identifiers, full-face photographs
    ("photo or biometric", "photo: IMG_20240312_101544.jpg"),
    ("photo or biometric", "client_face.png"),
    # ZIP codes in the value
    ("ZIP code", "ZIP 01105"),
    ("ZIP code", "01105-2231"),
    # (R) any other unique identifying number or code
    ("medical record or account number", "case #2024-000481"),
    ("medical record or account number", "badge 448812"),
]

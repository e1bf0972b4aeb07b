"""Calibration text for the 8-bit text model: varied, everyday English, written for LocalSearch.

Letters, receipts, recipes, code, science, notes, logs, contracts: what people keep on disk, and a
few lines in other languages and scripts, which the English model still meets in people's files. Only the
largest activation per channel is taken from it (see int8), so a few dozen paragraphs suffice; it is
fixed, so the model built from it is the same on every machine.
"""

TEXTS = (
    'Dear Ms. Alvarez, thank you for your letter of 12 March. The landlord has agreed to repair the heating before the end of the month, and the monthly rent of 1,250 euros stays unchanged until the lease is renewed in September.',
    'Invoice 2024-0042. Hardware store, 14 Mill Road. Screws (box of 200) 6.90; wood glue 4.20; sanding paper, assorted, 8.50; total 19.60 including VAT. Paid by card on 3 May 2024. Please keep this receipt for returns within 30 days.',
    'Preheat the oven to 200 °C. Mix the flour, salt and yeast, add warm water and olive oil, and knead for ten minutes until the dough is smooth. Leave it covered for an hour, shape two loaves and bake for 35 minutes until golden.',
    'The committee reviewed the quarterly results: revenue grew 12 % to 4.8 million while operating costs fell 3 %. Hiring will continue in the support team; the travel budget is frozen until the new office opens in Lyon.',
    'def parse_config(path: str) -> dict[str, str]:\n    """Read key=value lines, skipping comments and blank lines."""\n    out = {}\n    for line in open(path, encoding="utf-8"):\n        line = line.strip()\n        if line and not line.startswith("#"):\n            key, _, value = line.partition("=")\n            out[key.strip()] = value.strip()\n    return out',
    'Photosynthesis converts light energy into chemical energy stored in glucose. In the chloroplast, the light-dependent reactions split water and release oxygen, while the Calvin cycle fixes carbon dioxide using ATP and NADPH.',
    'Patient notes, 2 February: persistent dry cough for three weeks, no fever, mild shortness of breath on exertion. Chest X-ray clear. Prescribed an inhaler twice daily; follow-up in four weeks or sooner if symptoms worsen.',
    'To reset the router, hold the recessed button on the back for ten seconds until the power light blinks amber. The default network name and password are printed on the label underneath. Firmware updates install automatically overnight.',
    'The boundary layer separates from the wing surface when the adverse pressure gradient becomes too strong, and the lift coefficient drops sharply. Wind-tunnel measurements at Mach 0.3 showed stall at an angle of attack of 14 degrees.',
    'Meeting minutes: the school board approved the new reading programme for grades one to three. Parents asked about bus routes during the bridge repairs; the transport office will publish a temporary timetable next week.',
    'She walked along the harbour in the evening fog, listening to the bells of the fishing boats. The lighthouse had been dark for years, but the old keeper still climbed the stairs every night to wind the clock.',
    "Section 4.2 Termination. Either party may terminate this agreement with sixty (60) days' written notice. Obligations of confidentiality survive termination for a period of five years. This agreement is governed by the laws of the State of New York.",
    'ERROR 2024-11-03T14:22:07Z worker-3 connection refused (errno 111) while fetching https://example.org/api/v2/items?page=7; retrying in 30 s. WARN disk usage at 91 % on /var/lib/postgresql.',
    'Trip itinerary: fly from Boston to Reykjavik on flight FI 630, departing 20:35; rental car pickup at Keflavik; two nights in Vík, then the glacier hike on Thursday. Pack waterproof boots, a warm hat and the passport.',
    'The library catalogue lists three copies of the novel; two are on loan until 18 December. Reserve a copy online with your card number, and collect it from the front desk within seven days of the notification email.',
    'Tax return checklist: salary statements, bank interest certificates, receipts for charitable donations over 50 dollars, childcare invoices, and the mortgage interest statement from the bank. File before 30 April to avoid a late fee.',
    'In 1848 revolutions spread across Europe, from Paris to Vienna and Berlin. Demands for constitutions, freedom of the press and national unity met with concessions at first, then with repression as the old governments recovered.',
    "SELECT c.name, COUNT(o.id) AS orders, SUM(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.created_at >= '2024-01-01' GROUP BY c.name HAVING COUNT(o.id) > 5 ORDER BY 3 DESC;",
    "The cat slept on the warm windowsill all afternoon while rain tapped on the glass. When the neighbour's dog barked, she opened one eye, stretched, and went back to sleep.",
    "Insurance claim 77-31905: water damage in the kitchen after a pipe burst on 9 January. Photos of the ceiling and floor attached, plumber's invoice 480.00, estimate for the new floor 2,150.00. Adjuster visit requested.",
    'Thermal conductivity of the composite increased linearly with fibre volume fraction up to 40 %, after which voids formed and the measured values scattered. Samples were cured at 120 °C for two hours under vacuum.',
    'How do I renew my passport before travelling abroad? Fill in the renewal form, attach two recent photos and the old passport, and pay the fee online. Processing takes about six weeks; an express service costs extra.',
    'Guitar lesson notes: practise the C, G, Am and F chords slowly with a metronome at 60 beats per minute. Keep the thumb behind the neck. Next week: strumming pattern down, down-up, up-down-up.',
    'The vaccine trial enrolled 1,200 adults aged 18 to 65 in a randomised, double-blind design. Antibody levels were measured at days 0, 28 and 180; adverse events were mild and resolved within 48 hours.',
    'Le contrat de location prévoit un loyer mensuel de 850 euros, charges comprises, payable le premier de chaque mois.',
    'Der Zug nach München fährt um 14:32 von Gleis 7 ab; wegen Bauarbeiten verlängert sich die Fahrzeit um zwanzig Minuten.',
    'Договор аренды заключён на один год; арендная плата вносится до пятого числа каждого месяца.',
    '会议改到星期四中午在204房间举行，请带上季度报告和预算表。',
    '자주 묻는 질문: 글꼴을 설치하려면 파일을 내려받아 압축을 풀고 설치 버튼을 누르세요. 문제가 있으면 버그를 신고해 주세요.',
    '東京駅から新幹線で大阪まで約二時間半です。切符は駅の窓口か券売機で購入できます。',
    'يرجى إرسال الفاتورة رقم 2024-0042 قبل نهاية الشهر إلى قسم المحاسبة.',
)

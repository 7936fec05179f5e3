// bpmn-js's own words (palette, context pad, replace menu) in the page's language: bpmn-js
// writes English, so an English page keeps them as they are and an Indonesian page reads them
// from this table (the names match the properties panel's, e.g. "Peristiwa awal", "Gerbang").
// Given to bpmn-js as its `translate` service (additionalModules); a text missing here stays
// English, and tests/browser/test_modeler_language.py checks the palette in both languages.
const INDONESIAN = {
  // Palette.
  "Activate hand tool": "Aktifkan alat geser (tangan)",
  "Activate lasso tool": "Aktifkan alat laso (pilih area)",
  "Activate create/remove space tool": "Aktifkan alat tambah/hapus ruang",
  "Activate global connect tool": "Aktifkan alat sambung",
  "Create start event": "Buat peristiwa awal",
  "Create intermediate/boundary event": "Buat peristiwa antara/batas",
  "Create end event": "Buat peristiwa akhir",
  "Create gateway": "Buat gerbang",
  "Create task": "Buat tugas",
  "Create expanded sub-process": "Buat subproses (terbuka)",
  "Create data object reference": "Buat objek data",
  "Create data store reference": "Buat penyimpanan data",
  "Create pool/participant": "Buat kolam (proses)",
  "Create group": "Buat grup",
  // Context pad.
  "Append end event": "Sambung peristiwa akhir",
  "Append gateway": "Sambung gerbang",
  "Append task": "Sambung tugas",
  "Append intermediate/boundary event": "Sambung peristiwa antara/batas",
  "Append receive task": "Sambung tugas terima pesan",
  "Append message intermediate catch event": "Sambung peristiwa tunggu pesan",
  "Append timer intermediate catch event": "Sambung peristiwa tunggu waktu",
  "Append conditional intermediate catch event": "Sambung peristiwa tunggu kondisi",
  "Append signal intermediate catch event": "Sambung peristiwa tunggu sinyal",
  "Append compensation activity": "Sambung aktivitas kompensasi",
  "Add text annotation": "Tambah anotasi",
  "Add lane above": "Tambah lajur di atas",
  "Add lane below": "Tambah lajur di bawah",
  "Divide into two lanes": "Bagi menjadi dua lajur",
  "Divide into three lanes": "Bagi menjadi tiga lajur",
  "Change element": "Ubah jenis elemen",
  "Connect to other element": "Sambungkan ke elemen lain",
  "Connect using association": "Sambungkan dengan asosiasi",
  "Connect using data input association": "Sambungkan dengan asosiasi masukan data",
  "Delete": "Hapus",
  "Align elements": "Ratakan elemen",
  "Distribute elements horizontally": "Sebar elemen mendatar",
  "Distribute elements vertically": "Sebar elemen tegak",
  "Search in diagram": "Cari di diagram",
  "Toggle non-interrupting": "Ganti: tidak menghentikan",
  "Open {element}": "Buka {element}",
  // Replace menu: element types.
  "Task": "Tugas",
  "User task": "Tugas petugas",
  "Service task": "Tugas otomatis (layanan)",
  "Manual task": "Tugas manual",
  "Script task": "Tugas skrip",
  "Send task": "Tugas kirim pesan",
  "Receive task": "Tugas terima pesan",
  "Business rule task": "Tugas aturan bisnis",
  "Call activity": "Panggil proses",
  "Sub-process": "Subproses",
  "Sub-process (collapsed)": "Subproses (tertutup)",
  "Sub-process (expanded)": "Subproses (terbuka)",
  "Ad-hoc sub-process": "Subproses ad hoc",
  "Ad-hoc sub-process (collapsed)": "Subproses ad hoc (tertutup)",
  "Ad-hoc sub-process (expanded)": "Subproses ad hoc (terbuka)",
  "Event sub-process": "Subproses peristiwa",
  "Transaction": "Transaksi",
  "Start event": "Peristiwa awal",
  "End event": "Peristiwa akhir",
  "Boundary event": "Peristiwa batas",
  "Intermediate throw event": "Peristiwa antara",
  "Message start event": "Peristiwa awal pesan",
  "Timer start event": "Peristiwa awal waktu",
  "Conditional start event": "Peristiwa awal kondisi",
  "Signal start event": "Peristiwa awal sinyal",
  "Error start event": "Peristiwa awal galat",
  "Escalation start event": "Peristiwa awal eskalasi",
  "Compensation start event": "Peristiwa awal kompensasi",
  "Message start event (non-interrupting)": "Peristiwa awal pesan (tidak menghentikan)",
  "Timer start event (non-interrupting)": "Peristiwa awal waktu (tidak menghentikan)",
  "Conditional start event (non-interrupting)": "Peristiwa awal kondisi (tidak menghentikan)",
  "Signal start event (non-interrupting)": "Peristiwa awal sinyal (tidak menghentikan)",
  "Escalation start event (non-interrupting)": "Peristiwa awal eskalasi (tidak menghentikan)",
  "Message end event": "Peristiwa akhir pesan",
  "Escalation end event": "Peristiwa akhir eskalasi",
  "Error end event": "Peristiwa akhir galat",
  "Cancel end event": "Peristiwa akhir batal",
  "Compensation end event": "Peristiwa akhir kompensasi",
  "Signal end event": "Peristiwa akhir sinyal",
  "Terminate end event": "Peristiwa akhir penghentian",
  "Message intermediate catch event": "Peristiwa tunggu pesan",
  "Message intermediate throw event": "Peristiwa kirim pesan",
  "Timer intermediate catch event": "Peristiwa tunggu waktu",
  "Escalation intermediate throw event": "Peristiwa antara eskalasi",
  "Conditional intermediate catch event": "Peristiwa tunggu kondisi",
  "Link intermediate catch event": "Peristiwa tautan (tangkap)",
  "Link intermediate throw event": "Peristiwa tautan (lempar)",
  "Compensation intermediate throw event": "Peristiwa antara kompensasi",
  "Signal intermediate catch event": "Peristiwa tunggu sinyal",
  "Signal intermediate throw event": "Peristiwa kirim sinyal",
  "Message boundary event": "Peristiwa batas pesan",
  "Timer boundary event": "Peristiwa batas waktu",
  "Escalation boundary event": "Peristiwa batas eskalasi",
  "Conditional boundary event": "Peristiwa batas kondisi",
  "Error boundary event": "Peristiwa batas galat",
  "Cancel boundary event": "Peristiwa batas batal",
  "Signal boundary event": "Peristiwa batas sinyal",
  "Compensation boundary event": "Peristiwa batas kompensasi",
  "Message boundary event (non-interrupting)": "Peristiwa batas pesan (tidak menghentikan)",
  "Timer boundary event (non-interrupting)": "Peristiwa batas waktu (tidak menghentikan)",
  "Escalation boundary event (non-interrupting)": "Peristiwa batas eskalasi (tidak menghentikan)",
  "Conditional boundary event (non-interrupting)": "Peristiwa batas kondisi (tidak menghentikan)",
  "Signal boundary event (non-interrupting)": "Peristiwa batas sinyal (tidak menghentikan)",
  "Exclusive gateway": "Gerbang eksklusif",
  "Parallel gateway": "Gerbang paralel",
  "Inclusive gateway": "Gerbang inklusif",
  "Complex gateway": "Gerbang kompleks",
  "Event-based gateway": "Gerbang berbasis peristiwa",
  "Event based instantiating Gateway": "Gerbang pemicu berbasis peristiwa",
  "Parallel Event based instantiating Gateway": "Gerbang pemicu paralel berbasis peristiwa",
  "Sequence flow": "Alur",
  "Default flow": "Alur bawaan",
  "Conditional flow": "Alur bersyarat",
  "Expanded pool/participant": "Kolam (proses) terbuka",
  "Empty pool/participant": "Kolam (proses) kosong",
  "Data object reference": "Objek data",
  "Data store reference": "Penyimpanan data",
  "Loop": "Perulangan",
  "Parallel multi-instance": "Banyak instans paralel",
  "Sequential multi-instance": "Banyak instans berurutan",
  "Collection": "Koleksi",
  "Participant multiplicity": "Kelipatan peserta"
};

function fill(template, replacements) {
  return template.replace(/{([^}]+)}/g, function (all, key) {
    return replacements && key in replacements ? String(replacements[key]) : all;
  });
}

// The page's language: <html lang="…"> as the server set it.
export function pageLanguage() {
  return (document.documentElement.lang || "id").slice(0, 2).toLowerCase();
}

export function translateFor(language) {
  const table = language === "id" ? INDONESIAN : {};
  return function translate(template, replacements) {
    return fill(table[template] || template, replacements);
  };
}

// bpmn-js module: replaces its `translate` service (the page's language read when the modeler
// is made, not when this module loads).
export const translateModule = {
  translate: ["factory", function () { return translateFor(pageLanguage()); }]
};

/// The pages' one style sheet (served as `/assets/style.<hash>.css`). Colours are custom
/// properties so the dark scheme only swaps them; every text/background pair meets WCAG AA
/// (4.5:1) in both schemes. Below 40rem the task table becomes one card per task.
enum StyleSheet {
    static let source: StaticString = """
        :root{color-scheme:light dark;--fg:#1d2330;--bg:#f6f7f9;--card:#fff;--line:#d5d9df;--muted:#596070;\
        --link:#1f4fc4;--bar:#1d2330;--accent:#1f4fc4;--on-accent:#fff;--danger:#a3001c;--focus:#c25e00;\
        --pending:#e3ecfd;--overdue:#fff1cc;--completed:#dcf3e4;--note:#fff1cc}
        @media (prefers-color-scheme:dark){:root{--fg:#e8eaef;--bg:#15181e;--card:#1f232b;--line:#3a404c;--muted:#aab1bf;\
        --link:#8fb2ff;--bar:#0b0d11;--accent:#8fb2ff;--on-accent:#0b0d11;--danger:#ff8a9b;--focus:#ffb05c;\
        --pending:#233457;--overdue:#4a3b10;--completed:#173d27;--note:#4a3b10}}
        body{font:16px/1.45 system-ui,sans-serif;margin:0;color:var(--fg);background:var(--bg)}
        a{color:var(--link)}
        :focus-visible{outline:3px solid var(--focus);outline-offset:2px}
        .skip{position:absolute;left:-100vw;top:.5rem;padding:.5rem 1rem;background:var(--card);z-index:1}
        .skip:focus{left:.5rem}
        header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:baseline;padding:.75rem 1rem;background:var(--bar)}
        header a{color:#fff;text-decoration:none;padding:.25rem 0}.brand{font-weight:700;margin-right:auto}
        nav{display:flex;gap:1rem;flex-wrap:wrap}
        main{max-width:56rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem;margin:.5rem 0 1rem;overflow-wrap:break-word}
        h2{font-size:1.2rem;margin:0 0 .5rem}
        table{width:100%;border-collapse:collapse;background:var(--card)}
        th,td{text-align:left;padding:.5rem;border-bottom:1px solid var(--line);vertical-align:top}
        .tasks td:first-child{overflow-wrap:anywhere}.runs{overflow-wrap:normal}td.title{overflow-wrap:anywhere}
        small{display:block;color:var(--muted);font-size:.85rem}
        @media (min-width:40rem){.tasks time{white-space:nowrap}}
        .muted{color:var(--muted)}
        .pending,.overdue,.completed{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.85rem;color:var(--fg)}
        .pending{background:var(--pending)}.overdue{background:var(--overdue)}.completed{background:var(--completed)}
        .tabs{display:flex;flex-wrap:wrap;gap:0 1rem}.tabs a{padding:.5rem 0}.tabs a.on{font-weight:700;text-decoration:none;color:inherit}
        .card{background:var(--card);padding:1rem;border:1px solid var(--line);border-radius:.5rem;margin-bottom:1rem;overflow-wrap:anywhere}
        label{display:block;font-weight:600;margin-top:.75rem}
        input{width:100%;box-sizing:border-box;min-height:2.75rem;padding:.5rem;font:inherit;color:inherit;background:var(--card);border:1px solid var(--muted);border-radius:.3rem}
        input[aria-invalid=true]{border:2px solid var(--danger)}
        .error{color:var(--danger);margin:.25rem 0}.note{background:var(--note);padding:.5rem 1rem;border-radius:.5rem}
        button,.button{display:inline-block;margin-top:1rem;min-height:2.75rem;padding:.5rem 1rem;font:inherit;border:0;border-radius:.4rem;\
        background:var(--accent);color:var(--on-accent);text-decoration:none;cursor:pointer;box-sizing:border-box}
        button.danger{background:var(--danger);color:var(--on-accent)}
        .actions{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}.actions form{margin:0}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
        .pager{display:flex;flex-wrap:wrap;gap:0 1rem;margin-top:1rem}.pager a{padding:.5rem 0}
        svg{max-width:100%;height:auto}
        #live:empty{display:none}#live{margin:0 0 1rem}
        @media (max-width:40rem){
        main{padding:.75rem}
        .tasks thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
        .tasks,.tasks tbody{display:block;background:none}
        .tasks tr{display:grid;grid-template-columns:1fr auto;gap:.25rem .75rem;align-items:start;background:var(--card);\
        border:1px solid var(--line);border-radius:.5rem;padding:.75rem;margin-bottom:.75rem}
        .tasks td{display:block;padding:0;border:0}
        .tasks td:first-child{grid-column:1/-1;font-weight:600;overflow-wrap:break-word}
        .tasks td:first-child a{display:block;padding:.25rem 0}
        .tasks td:nth-child(4){grid-column:1/-1}.tasks td:empty{display:none}
        .tasks tr:has(.completed) td:nth-child(2)::before{content:"Due ";font-weight:600}
        dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}
        .runs{font-size:.85rem}.runs th,.runs td{padding:.25rem}
        form button,.actions .button,.actions button{width:100%}.actions form{width:100%}
        }
        """
}

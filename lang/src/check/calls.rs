//! Calls: the name resolved (aliases, exact, short name), arguments mapped
//! onto parameters (positional or named) and made to fit them, and the
//! `with` clause checked into module call options.

use asterism_compiler::{CValue, ModuleCallOptions, Resolution};

use super::*;

impl Checker<'_> {
    pub(super) fn call(
        &mut self,
        name: &QualifiedName,
        args: &[Arg],
        options: &[WithOption],
        span: Span,
    ) -> TExpr {
        // Check the arguments first, so problems inside them are reported
        // even when the function is unknown.
        let checked: Vec<(Option<&Ident>, TExpr)> = args
            .iter()
            .map(|a| (a.name.as_ref(), self.expr(&a.value)))
            .collect();
        let mut parts = name.parts.clone();
        if parts.len() > 1 {
            if let Some(ns) = self.aliases.get(&parts[0]) {
                let mut full = ns.clone();
                full.extend(parts.drain(1..));
                parts = full;
            }
        }
        let full = parts.join(".");
        let sig = match self.sigs.resolve(&full) {
            Resolution::Found(s) => s.clone(),
            Resolution::NotFound => {
                let mut d = err(
                    "E123",
                    format!("unknown function `{}`", name.full()),
                    name.span,
                    "no module has this name",
                );
                let local = name.local();
                let shorts = self
                    .sigs
                    .iter()
                    .map(|s| s.name.rsplit('.').next().unwrap_or(&s.name));
                d = match suggest(local, shorts) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help("register a module with this name before compiling"),
                };
                return self.error_expr(d, span);
            }
            Resolution::Ambiguous(c) => {
                let d = err(
                    "E124",
                    format!("`{}` could be any of {}", name.full(), c.join(", ")),
                    name.span,
                    "ambiguous name",
                )
                .with_help("write the full name");
                return self.error_expr(d, span);
            }
        };
        if sig.outputs.is_empty() {
            let d = err(
                "E125",
                format!("`{}` produces no output to use", sig.name),
                name.span,
                "no output",
            );
            return self.error_expr(d, span);
        }
        // Map arguments onto parameters.
        let n = sig.params.len();
        let mut slots: Vec<Option<TExpr>> = vec![None; n];
        let mut ok = true;
        let mut positional = 0;
        for (arg_name, te) in checked {
            let ix = match arg_name {
                None => {
                    let i = positional;
                    positional += 1;
                    if i >= n {
                        self.diags.push(
                            err(
                                "E126",
                                format!(
                                    "`{}` takes {n} argument{}, got more",
                                    name.full(),
                                    if n == 1 { "" } else { "s" }
                                ),
                                te.span,
                                "extra argument",
                            )
                            .with_help(format!("the parameters are {}", param_list(&sig))),
                        );
                        ok = false;
                        continue;
                    }
                    i
                }
                Some(id) => match sig.param_index(&id.name) {
                    Some(i) => i,
                    None => {
                        let mut d = err(
                            "E127",
                            format!("`{}` has no parameter `{}`", sig.name, id.name),
                            id.span,
                            "unknown parameter",
                        );
                        d = match suggest(&id.name, sig.params.iter().map(|p| p.name.as_str())) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!("the parameters are {}", param_list(&sig))),
                        };
                        self.diags.push(d);
                        ok = false;
                        continue;
                    }
                },
            };
            if slots[ix].is_some() {
                self.diags.push(err(
                    "E128",
                    format!("the parameter `{}` is given twice", sig.params[ix].name),
                    te.span,
                    "given again here",
                ));
                ok = false;
                continue;
            }
            slots[ix] = Some(te);
        }
        let mut targs = Vec::new();
        for (i, slot) in slots.into_iter().enumerate() {
            let p = &sig.params[i];
            let pty = Ty::from_ctype(&p.ty);
            match slot {
                None => {
                    if ok {
                        self.diags.push(
                            err(
                                "E129",
                                format!("`{}` is missing the argument `{}`", name.full(), p.name),
                                span,
                                format!("`{}: {}` not given", p.name, p.ty),
                            )
                            .with_help(format!("the parameters are {}", param_list(&sig))),
                        );
                    }
                    ok = false;
                }
                Some(te) => {
                    let te = self.coerce(
                        te,
                        &pty,
                        &format!("argument `{}` of `{}`", p.name, sig.name),
                    );
                    targs.push((p.name.clone(), pty, te));
                }
            }
        }
        let outputs: Vec<(String, Ty)> = sig
            .outputs
            .iter()
            .map(|o| (o.name.clone(), Ty::from_ctype(&o.ty)))
            .collect();
        let ty = if outputs.len() == 1 {
            outputs[0].1.clone()
        } else {
            Ty::Record(outputs.iter().cloned().collect())
        };
        let (opts, fallback) = self.options(options, &ty);
        if !ok {
            return TExpr {
                kind: TKind::Lit(CValue::Boolean(false)),
                ty: Ty::Error,
                span,
            };
        }
        TExpr {
            kind: TKind::Call(Box::new(TCall {
                module: sig.name.clone(),
                written: name.full(),
                args: targs,
                outputs,
                options: opts,
                fallback: fallback.map(Box::new),
            })),
            ty,
            span,
        }
    }

    /// Makes `te` fit `want`: as is, re-typed (an empty list), narrowed (a
    /// record with extra fields, projected), or reported.
    pub(super) fn coerce(&mut self, te: TExpr, want: &Ty, what: &str) -> TExpr {
        if te.ty.fits(want) {
            return retype(te, want);
        }
        if te.ty.narrows_to(want) {
            let fields = want
                .record_fields()
                .map(|f| f.keys().cloned().collect())
                .unwrap_or_default();
            let span = te.span;
            return TExpr {
                kind: TKind::Project(Box::new(te), fields),
                ty: want.clone(),
                span,
            };
        }
        let d = err(
            "E130",
            format!("{what} expects {want}, got {}", te.ty),
            te.span,
            format!("this is {}", te.ty),
        );
        let span = te.span;
        self.error_expr(d, span)
    }

    pub(super) fn options(
        &mut self,
        opts: &[WithOption],
        call_ty: &Ty,
    ) -> (ModuleCallOptions, Option<TExpr>) {
        let mut o = ModuleCallOptions::default();
        let mut fallback = None;
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for opt in opts {
            let name = opt.name.name.as_str();
            if seen.insert(name, opt.span).is_some() {
                self.diags.push(err(
                    "E131",
                    format!("the option `{name}` is given twice"),
                    opt.span,
                    "given again here",
                ));
                continue;
            }
            let bad = |what: &str| -> Diagnostic {
                err(
                    "E132",
                    format!("`{name}` takes {what}"),
                    opt.span,
                    format!("not {what}"),
                )
            };
            let duration = |v: &OptionValue| match v {
                OptionValue::Duration(ms, _) => Ok(*ms),
                OptionValue::Int(n, _) => Err(bad("a duration").with_help(format!(
                    "add a unit: `{n}ms`, `{n}s`, `{n}min`, `{n}h` or `{n}d`"
                ))),
                _ => Err(bad("a duration such as `500ms` or `3s`")),
            };
            let word = |v: &OptionValue, choices: &[&str]| match v {
                OptionValue::Word(w) if choices.contains(&w.name.as_str()) => Ok(w.name.clone()),
                OptionValue::Word(w) => {
                    let mut d = bad(&format!("one of {}", choices.join(", ")));
                    if let Some(s) = suggest(&w.name, choices.iter().copied()) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    Err(d)
                }
                _ => Err(bad(&format!("one of {}", choices.join(", ")))),
            };
            let count = |v: &OptionValue, min: i64| match v {
                OptionValue::Int(n, _) if *n >= min => Ok(*n),
                _ => Err(bad(&format!("a whole number of at least {min}"))),
            };
            let result: Result<(), Diagnostic> = (|| {
                match name {
                    "retry" => o.retry = Some(count(&opt.value, 0)?),
                    "timeout" => o.timeout_ms = Some(duration(&opt.value)?),
                    "delay" => o.delay_ms = Some(duration(&opt.value)?),
                    "cache" => o.cache_ms = Some(duration(&opt.value)?),
                    "batch_timeout" => o.batch_timeout_ms = Some(duration(&opt.value)?),
                    "checkpoint" => o.checkpoint_ms = Some(duration(&opt.value)?),
                    "backoff" => {
                        o.backoff = Some(word(&opt.value, &["fixed", "linear", "exponential"])?)
                    }
                    "on_error" => {
                        o.on_error = Some(word(
                            &opt.value,
                            &["propagate", "fail", "skip", "log", "wrap"],
                        )?)
                    }
                    "cache_backend" => match &opt.value {
                        OptionValue::Str(s, _) => o.cache_backend = Some(s.clone()),
                        _ => return Err(bad("a string such as \"memory\"")),
                    },
                    "throttle" => match &opt.value {
                        OptionValue::Rate(n, per, _) if *n > 0 && *per > 0 => {
                            o.throttle_count = Some(*n);
                            o.throttle_per_ms = Some(*per);
                        }
                        _ => {
                            return Err(bad("a rate").with_help("write it as `10/1s` or `100/1min`"))
                        }
                    },
                    "concurrency" => o.concurrency = Some(count(&opt.value, 1)?),
                    "batch" => o.batch_size = Some(count(&opt.value, 1)?),
                    "lazy" => {
                        o.lazy_eval = Some(match &opt.value {
                            OptionValue::Flag => true,
                            v => word(v, &["true", "false"])? == "true",
                        })
                    }
                    "priority" => {
                        o.priority = Some(match &opt.value {
                            OptionValue::Int(n, _) => *n,
                            v => {
                                match word(v, &["critical", "high", "normal", "low", "background"])?
                                    .as_str()
                                {
                                    "critical" => 100,
                                    "high" => 75,
                                    "normal" => 50,
                                    "low" => 25,
                                    _ => 0,
                                }
                            }
                        })
                    }
                    "window" | "join" => {
                        let text = match &opt.value {
                            OptionValue::Str(s, _) => s.clone(),
                            OptionValue::Word(w) => w.name.clone(),
                            _ => return Err(bad("a window or join specification")),
                        };
                        if name == "window" {
                            o.window = Some(text);
                        } else {
                            o.join_strategy = Some(text);
                        }
                    }
                    "fallback" => {
                        if let OptionValue::Expr(e) = &opt.value {
                            let te = self.expr(e);
                            fallback = Some(self.coerce(te, call_ty, "`fallback`"));
                        }
                    }
                    _ => {}
                }
                Ok(())
            })();
            if let Err(d) = result {
                self.diags.push(d);
            }
            if matches!(opt.value, OptionValue::Flag) && name != "lazy" {
                self.diags.push(err(
                    "E132",
                    format!("`{name}` needs a value"),
                    opt.span,
                    format!("write `{name}: value`"),
                ));
            }
        }
        (o, fallback)
    }
}

fn param_list(sig: &asterism_compiler::ModuleSignature) -> String {
    sig.params
        .iter()
        .map(|p| format!("`{}: {}`", p.name, p.ty))
        .collect::<Vec<_>>()
        .join(", ")
}

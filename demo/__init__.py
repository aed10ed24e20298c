"""The synthetic demo company (``python -m demo``): a machinery maker of about 420 people with years of
quarterly results, written out as the messy legacy workbooks its HR would keep and imported through
``pipelines`` like HR's own uploads, then one login per role and this quarter's cycle in progress.

By noun: :mod:`demo.departments` (the seed's departments and positions), :mod:`demo.company` (the
company as data and its score model), :mod:`demo.generator` (``generate_company``), :mod:`demo.books`,
:mod:`demo.workbooks`, :mod:`demo.forms` and :mod:`demo.files` (HR's files), :mod:`demo.logins` (the
demo logins), :mod:`demo.cycle` (the cycle in progress), :mod:`demo.build` (``build_demo``) and
``__main__`` (the command line). Nothing here is real or personal; ``core`` never imports it.
"""
